export interface Config {
  shipshape?: {};
}
