type PolicyMode = 'warn' | 'enforce';

export interface Config {
  shipshape?: {
    /**
     * The ownership and cost-tag policy every Component, Resource, System and API is checked
     * against (docs/ownership.md).
     */
    policy?: {
      /**
       * Default mode of every rule. warn (default): entities are kept and their violations shown
       * by the API and the cards; enforce: each violation is a catalog processing error, and a new
       * entity with one stays out of the catalog until it is fixed.
       */
      mode?: PolicyMode;
      /** Entity kinds the policy applies to. Default: Component, Resource, System, API. */
      kinds?: string[];
      /** spec.owner must be set and be a valid entity ref. */
      ownerPresent?: { mode?: PolicyMode };
      /** spec.owner must resolve to an existing Group or User in the catalog. */
      ownerExists?: { mode?: PolicyMode };
      /** Every other shipshape.dev/ annotation the entity carries must parse. */
      annotationFormat?: { mode?: PolicyMode };
      /**
       * Required tags (annotations). Default: shipshape.dev/cost-center matching ^CC-\d{4}$,
       * inherited from the System; shipshape.dev/tier one of the tiers.
       */
      tags?: Array<{
        /** The annotation name, e.g. shipshape.dev/cost-center. */
        name: string;
        /** Default true. */
        required?: boolean;
        /** A regular expression the whole value must match, e.g. ^CC-\d{4}$. */
        pattern?: string;
        /** The values allowed. */
        allowed?: string[];
        /** A Component, Resource or API without the tag takes its System's. */
        inheritFromSystem?: boolean;
        mode?: PolicyMode;
      }>;
    };
  };
}
