import { Box, Button } from "@saleor/macaw-ui";
import { useState } from "react";

import { Page, Refusal } from "../components";
import { MANAGE_USERS, missing } from "../permissions";
import { Accounts } from "./section/Accounts";
import { Approvals } from "./section/Approvals";
import { Bulk } from "./section/Bulk";
import { Report } from "./section/Report";
import { Withdrawals } from "./section/Withdrawals";

const TABS = [
  { id: "accounts", label: "Accounts", component: Accounts },
  { id: "withdrawals", label: "Withdrawals", component: Withdrawals },
  { id: "approvals", label: "Approvals", component: Approvals },
  { id: "bulk", label: "Bulk credit", component: Bulk },
  { id: "report", label: "Report", component: Report },
];

export function StoreCreditSection({ state }) {
  const [tab, setTab] = useState("accounts");
  const lacking = missing(state, [MANAGE_USERS]);
  if (lacking.length) {
    return (
      <Page title="Store credit">
        <Refusal permissions={lacking} />
      </Page>
    );
  }
  const Current = TABS.find(item => item.id === tab).component;
  return (
    <Page title="Store credit" testId="section">
      <Box display="flex" gap={2} flexWrap="wrap" role="tablist">
        {TABS.map(item => (
          <Button
            key={item.id}
            role="tab"
            aria-selected={item.id === tab}
            variant={item.id === tab ? "primary" : "secondary"}
            onClick={() => setTab(item.id)}
            data-testid={`tab-${item.id}`}
          >
            {item.label}
          </Button>
        ))}
      </Box>
      <Current state={state} />
    </Page>
  );
}
