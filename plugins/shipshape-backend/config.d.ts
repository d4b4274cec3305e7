export interface Config {
  /** Shipshape backend configuration. */
  shipshape?: {};
}
