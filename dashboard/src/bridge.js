// The Dashboard side of the page: AppBridge from @saleor/app-sdk. The only
// token a page ever uses is the one the Dashboard sends in "handshake" (or
// "tokenRefresh"); AppBridge accepts messages only from the embedding origin.
import { actions, AppBridge } from "@saleor/app-sdk/app-bridge";
import { useEffect, useRef, useState } from "react";

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

// The Dashboard answers refreshEntity by refetching its own page; it never
// reloads a widget's iframe. Pages of this app open in other frames of the same
// Dashboard (the customer widget under its "Store credit…" popup) hear about a
// change here instead. Same origin only; the message carries no data.
const CHANNEL = "storecredit.dashboard";
const SENDER = Math.random().toString(36).slice(2);

function announceCreditChange() {
  if (typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage({ type: "credit-changed", sender: SENDER });
  channel.close();
}

/** Run `callback` when another frame of this app changed credit. */
export function useCreditChanges(callback) {
  const latest = useRef(callback);
  latest.current = callback;
  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return undefined;
    const channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = event => {
      if (event.data?.type === "credit-changed" && event.data.sender !== SENDER) latest.current();
    };
    return () => channel.close();
  }, []);
}

export function refreshEntity() {
  announceCreditChange();
  return getBridge()
    .dispatch(actions.RefreshEntity())
    .catch(() => {});
}

export function popupClose() {
  return getBridge()
    .dispatch(actions.PopupClose())
    .catch(() => {});
}
