import { makeStyles } from '@material-ui/core/styles';
import { ReactNode } from 'react';

// A class on a wrapper, not a nested ThemeProvider: a nested theme renames the global Mui*
// classes (MuiCard-root-12), which the portal's CSS and the browser tests select by.
const useStyles = makeStyles(theme => {
  const color = theme.palette.type === 'dark' ? '#ffa4a2' : '#c62828';
  return {
    root: {
      '& .MuiTypography-colorError, & .MuiFormLabel-root.Mui-error, & .MuiFormHelperText-root.Mui-error':
        { color },
    },
  };
});

/**
 * Error text at 4.5:1 or more on the card (WCAG AA) in both themes: the theme's error.main
 * (#f44336, 3.7:1 on white) becomes #c62828 (5.6:1) in the light theme and #ffa4a2 (5.3:1 on
 * the dark theme's #424242 cards), for `color="error"` text and a text field in error inside.
 */
export function AccessibleColours(props: { children: ReactNode }) {
  const classes = useStyles();
  return <div className={classes.root}>{props.children}</div>;
}
