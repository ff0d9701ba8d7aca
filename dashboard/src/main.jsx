import "@saleor/macaw-ui/style";

import { Box, Text, ThemeProvider, useTheme } from "@saleor/macaw-ui";
import { useEffect, useRef } from "react";
import { createRoot } from "react-dom/client";

import { reportHeight, useBridgeState } from "./bridge";
import { Loading } from "./components";
import { CustomerActions } from "./pages/CustomerActions";
import { CustomerWidget } from "./pages/CustomerWidget";
import { OrderWidget } from "./pages/OrderWidget";
import { StoreCreditSection } from "./pages/StoreCreditSection";

// <plugin URL>/dashboard/<page>[/...]: the page is the segment after "dashboard".
function pageName() {
  const parts = window.location.pathname.split("/").filter(Boolean);
  const index = parts.lastIndexOf("dashboard");
  return parts[index + 1] || "app";
}

const PAGES = {
  "customer-widget": { component: CustomerWidget, widget: true },
  "customer-actions": { component: CustomerActions },
  "order-widget": { component: OrderWidget, widget: true },
  app: { component: StoreCreditSection },
};

function ThemeSync({ theme }) {
  const { setTheme } = useTheme();
  useEffect(() => {
    setTheme(theme === "dark" ? "defaultDark" : "defaultLight");
  }, [theme, setTheme]);
  return null;
}

function App() {
  const state = useBridgeState();
  const params = new URL(window.location.href).searchParams;
  const page = PAGES[pageName()] || PAGES.app;
  const ref = useRef(null);

  useEffect(() => {
    if (!page.widget || !ref.current) return undefined;
    // The content's own height: the document's is never less than the iframe's.
    const observer = new ResizeObserver(() => reportHeight(ref.current.scrollHeight));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [page.widget, state.ready]);

  let content;
  if (window.parent === window) {
    content = (
      <Box padding={4}>
        <Text>Open this page from the Saleor Dashboard.</Text>
      </Box>
    );
  } else if (!state.ready || !state.token) {
    content = <Loading text="Waiting for the Dashboard…" />;
  } else {
    const Component = page.component;
    content = <Component state={state} params={params} />;
  }
  return (
    <>
      <ThemeSync theme={state.theme} />
      <Box ref={ref} data-testid="app-root" data-ready={state.ready ? "true" : "false"}>
        {content}
      </Box>
    </>
  );
}

const initialTheme =
  new URL(window.location.href).searchParams.get("theme") === "dark" ? "defaultDark" : "defaultLight";

createRoot(document.getElementById("root")).render(
  <ThemeProvider defaultTheme={initialTheme}>
    <App />
  </ThemeProvider>,
);
