import { Box, Text } from "@saleor/macaw-ui";
import { useState } from "react";

import { redirect } from "../../bridge";
import { Choice, ErrorBox, Field, Loading, StatusChip, Table } from "../../components";
import { money } from "../../format";
import { edges, useQuery } from "../../hooks";
import { ACCOUNTS } from "../../queries";

const SORTS = {
  "balance-desc": { field: "BALANCE", direction: "DESC", label: "Balance, highest first" },
  "balance-asc": { field: "BALANCE", direction: "ASC", label: "Balance, lowest first" },
  "email-asc": { field: "EMAIL", direction: "ASC", label: "Email" },
  "updated-desc": { field: "UPDATED_AT", direction: "DESC", label: "Recently changed" },
};

export function Accounts({ state }) {
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState("balance-desc");
  const { field, direction } = SORTS[sort];
  const { data, error, loading } = useQuery(state.token, ACCOUNTS, {
    filter: search ? { search } : {},
    sortBy: { field, direction },
  });
  const m = row => amount => money(amount, row.currency, state.locale);
  return (
    <Box display="flex" flexDirection="column" gap={3} data-testid="accounts">
      <Box display="grid" gridTemplateColumns={2} gap={2}>
        <Field label="Search email or name" name="search" value={search} onChange={setSearch} />
        <Choice
          label="Sort by"
          name="sort"
          value={sort}
          onChange={setSort}
          options={Object.entries(SORTS).map(([value, item]) => ({ value, label: item.label }))}
        />
      </Box>
      {error && <ErrorBox messages={[error.message]} />}
      {loading && !data && <Loading />}
      {data && (
        <>
          <Text size={2} color="default2" data-testid="accounts-count">
            {data.storeCreditAccounts.totalCount} {data.storeCreditAccounts.totalCount === 1 ? "account" : "accounts"}
          </Text>
          <Table
            testId="accounts-table"
            rows={edges(data.storeCreditAccounts).map(row => ({ ...row, key: row.id }))}
            columns={[
              {
                key: "email",
                label: "Customer",
                render: row =>
                  row.user ? (
                    <a
                      href="#"
                      onClick={event => {
                        event.preventDefault();
                        redirect(`/customers/${row.user.id}`);
                      }}
                    >
                      {row.email}
                    </a>
                  ) : (
                    row.email
                  ),
              },
              { key: "balance", label: "Balance", render: row => m(row)(row.balance.amount) },
              { key: "available", label: "Available", render: row => m(row)(row.available.amount) },
              { key: "held", label: "Held", render: row => m(row)(row.held.amount) },
              { key: "status", label: "Status", render: row => <StatusChip status={row.status} /> },
            ]}
          />
        </>
      )}
    </Box>
  );
}
