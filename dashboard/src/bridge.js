// The Dashboard side of the page: AppBridge from @saleor/app-sdk. The only
// token a page ever uses is the one the Dashboard sends in "handshake" (or
// "tokenRefresh"); AppBridge accepts messages only from the embedding origin.
import { actions, AppBridge } from "@saleor/app-sdk/app-bridge";
import { useEffect, useState } from "react";

let bridge;

export function getBridge() {
  if (!bridge) bridge = new AppBridge({ autoNotifyReady: true });
  return bridge;
}

export function useBridgeState() {
  const appBridge = getBridge();
  const [state, setState] = useState(() => appBridge.getState());
  useEffect(() => {
    const update = () => setState({ ...appBridge.getState() });
    const unsubscribers = ["handshake", "tokenRefresh", "theme", "localeChanged", "redirect"].map(
      event => appBridge.subscribe(event, update),
    );
    update();
    return () => unsubscribers.forEach(unsubscribe => unsubscribe());
  }, [appBridge]);
  return state;
}

export function notify(status, title, text) {
  return getBridge()
    .dispatch(actions.Notification({ status, title, text }))
    .catch(() => {});
}

/** Open a Dashboard page, e.g. "/customers/<id>" or "/orders/<id>". */
export function redirect(to) {
  return getBridge()
    .dispatch(actions.Redirect({ to }))
    .catch(() => {});
}

/** Tell the Dashboard how tall a widget is (Dashboard 3.23.7 and newer). */
export function reportHeight(height) {
  if (height > 0) {
    getBridge()
      .dispatch(actions.WidgetResize({ height: Math.ceil(height) }))
      .catch(() => {});
  }
}

export function refreshEntity() {
  return getBridge()
    .dispatch(actions.RefreshEntity())
    .catch(() => {});
}

export function popupClose() {
  return getBridge()
    .dispatch(actions.PopupClose())
    .catch(() => {});
}
