export interface Config {
  shipshape?: {
    /**
     * Base URL of the Shipshape docs folder (e.g. https://github.com/acme/portal/blob/main/docs).
     * When set, a card or page whose part of `shipshape.*` is not configured links to the page
     * that documents the key; when unset, to the portal's configuration help page
     * (/shipshape/configuration#<key>).
     * @visibility frontend
     */
    docsUrl?: string;
  };
}
