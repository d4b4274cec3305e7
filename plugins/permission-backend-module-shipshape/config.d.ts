export interface Config {
  permission?: {
    /**
     * Shipshape's permission policy (@shipshape/plugin-permission-backend-module-shipshape).
     * Environments are marked protected in `shipshape.environments[].protected`.
     */
    shipshape?: {
      /**
       * Entity refs of the groups (or users) whose members may run every Shipshape operation
       * on any entity and are the only ones who may deploy or roll back in a protected
       * environment, e.g. `group:default/platform-team` (a bare name means a group in the
       * default namespace). Unset: operations for each entity's owners only, and nobody may
       * deploy to a protected environment.
       */
      adminGroups?: string[];
    };
  };
}
