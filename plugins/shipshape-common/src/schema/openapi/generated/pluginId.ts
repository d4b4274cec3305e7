export const pluginId = 'shipshape';
