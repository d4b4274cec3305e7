import { Theme, ThemeProvider } from '@material-ui/core/styles';
import { ReactNode } from 'react';

/**
 * Error text at 4.5:1 or more on the card (WCAG AA) in both themes: the theme's error.main
 * (#f44336, 3.7:1 on white) becomes #c62828 (5.6:1) in the light theme and #ffa4a2 (5.3:1 on
 * the dark theme's #424242 cards). Everything that colours text with `color="error"` inside
 * follows.
 */
export function AccessibleColours(props: { children: ReactNode }) {
  return (
    <ThemeProvider
      theme={(outer: Theme) => ({
        ...outer,
        palette: {
          ...outer.palette,
          error: {
            ...outer.palette.error,
            main: outer.palette.type === 'dark' ? '#ffa4a2' : '#c62828',
          },
        },
      })}
    >
      {props.children}
    </ThemeProvider>
  );
}
