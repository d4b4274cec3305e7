import { makeStyles } from '@material-ui/core/styles';
import { ReactNode } from 'react';

// A class on a wrapper, not a nested ThemeProvider: a nested theme renames the global Mui*
// classes (MuiCard-root-12), which the portal's CSS and the browser tests select by.
const useStyles = makeStyles({
  root: {
    '& .MuiTypography-colorError, & .MuiFormLabel-root.Mui-error, & .MuiFormHelperText-root.Mui-error':
      { color: 'var(--bui-negative-fg-subdued)' },
  },
});

/**
 * MUI error text (`color="error"` text, a text field in error) at 4.5:1 or more (WCAG AA) in both
 * themes, for the MUI parts that remain (the scaffolder's wizard fields): the theme's error.main
 * (#f44336, 3.7:1 on white) becomes Backstage UI's negative text colour (#991919 light, #fca5a5
 * dark), as DangerText uses.
 */
export function AccessibleColours(props: { children: ReactNode }) {
  const classes = useStyles();
  return <div className={classes.root}>{props.children}</div>;
}
