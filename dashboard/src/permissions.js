// What the token allows: AppBridge decodes the JWT the Dashboard sent; its
// `permissions` are the user's permissions limited to the app's (or the
// extension's). The API checks them again; this only decides what to show.
export const MANAGE_USERS = "MANAGE_USERS";
export const MANAGE_ORDERS = "MANAGE_ORDERS";
export const HANDLE_PAYMENTS = "HANDLE_PAYMENTS";

export function hasPermission(state, permission) {
  return (state.appPermissions || []).includes(permission);
}

export function missing(state, permissions) {
  return permissions.filter(permission => !hasPermission(state, permission));
}
