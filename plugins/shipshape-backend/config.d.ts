export interface Config {
  /** Shipshape backend configuration. */
  shipshape?: {
    /** Unit prices for the ownership card's monthly cost estimate (requests x price x 730 h). */
    cost?: {
      /** USD per requested CPU core-hour; default 0.031611 (OpenCost's on-demand default). */
      cpuCoreHourUsd?: number;
      /** USD per requested GiB-hour of memory; default 0.004237. */
      memoryGibHourUsd?: number;
    };
  };
}
