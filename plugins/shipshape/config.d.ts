export interface Config {
  shipshape?: {
    /**
     * Base URL of the Shipshape docs folder (e.g. https://github.com/acme/portal/blob/main/docs).
     * When set, a card or page whose part of `shipshape.*` is not configured links to the page
     * that documents the key; when unset, it names the page (docs/slo.md, ...).
     * @visibility frontend
     */
    docsUrl?: string;
  };
}
