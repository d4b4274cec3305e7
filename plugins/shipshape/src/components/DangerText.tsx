import { Text, TextProps } from '@backstage/ui';
import { CSSProperties, ReactNode } from 'react';

/**
 * Text that reports a problem, at 4.5:1 or more in both themes (WCAG AA): Backstage UI's subdued
 * negative pair (light #991919 on #ffcbcb, dark #fca5a5 on #350708). Its `color="danger"` alone
 * (#ec3b18, 4.0:1 on a white card; #ff5a30, 3.3:1 on the dark card) does not reach it. The words
 * say what is wrong; the colour only repeats it.
 */
export function DangerText(props: {
  children: ReactNode;
  as?: 'span' | 'p' | 'div';
  variant?: TextProps['variant'];
  weight?: TextProps['weight'];
  style?: CSSProperties;
}) {
  return (
    <Text
      as={props.as ?? 'span'}
      variant={props.variant}
      weight={props.weight ?? 'bold'}
      style={{
        // without a variant, the size of the text around it
        ...(props.variant
          ? {}
          : { fontSize: 'inherit', lineHeight: 'inherit' }),
        color: 'var(--bui-negative-fg-subdued)',
        backgroundColor: 'var(--bui-negative-bg-subdued)',
        borderRadius: 'var(--bui-radius-1)',
        padding: '0 var(--bui-space-1)',
        // each line of a wrapped message gets its own padded box
        boxDecorationBreak: 'clone',
        WebkitBoxDecorationBreak: 'clone',
        ...props.style,
      }}
    >
      {props.children}
    </Text>
  );
}
