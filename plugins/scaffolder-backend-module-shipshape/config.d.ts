export interface Config {
  shipshape?: {
    /**
     * Offline demo only: the shipshape:publish:local scaffolder action creates git
     * repositories here, and the shipshape backend serves them read-only and
     * unauthenticated at /api/shipshape/local-repos. Leave unset in production.
     */
    localPublish?: {
      /** Directory of the local repositories, relative to the backend's working directory. */
      directory?: string;
    };
  };
}
