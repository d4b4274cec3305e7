export interface Config {
  shipshape?: {
    policy?: {
      /**
       * warn (default): entities are kept and their violations shown by the API and the cards;
       * enforce: each violation is a catalog processing error.
       */
      mode?: 'warn' | 'enforce';
    };
  };
}
