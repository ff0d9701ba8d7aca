import { Box, Text } from "@saleor/macaw-ui";
import { useState } from "react";

import { messagesOf, mutate } from "../../api";
import { notify } from "../../bridge";
import { Action, ErrorBox, Field, Loading } from "../../components";
import { dateTime, money } from "../../format";
import { edges, useQuery } from "../../hooks";
import { PROCESS_WITHDRAWAL, WITHDRAWALS } from "../../queries";

const ACTIONS = {
  PENDING: [
    ["APPROVE", "Approve", "primary"],
    ["REJECT", "Reject", "error"],
  ],
  APPROVED: [
    ["MARK_PAID", "Mark paid", "primary"],
    ["REJECT", "Reject", "error"],
  ],
};

export function Withdrawals({ state }) {
  const { data, error, loading, reload } = useQuery(state.token, WITHDRAWALS, {});
  if (error) return <ErrorBox messages={[error.message]} />;
  if (loading && !data) return <Loading />;
  const rows = edges(data.storeCreditWithdrawals);
  return (
    <Box display="flex" flexDirection="column" gap={3} data-testid="withdrawals">
      {rows.length === 0 && (
        <Text size={2} color="default2">
          No withdrawal is waiting for a decision.
        </Text>
      )}
      {rows.map(row => (
        <WithdrawalRow key={row.id} row={row} token={state.token} locale={state.locale} onDone={reload} />
      ))}
    </Box>
  );
}

function WithdrawalRow({ row, token, locale, onDone }) {
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState([]);
  async function act(action, label) {
    try {
      const result = await mutate(token, PROCESS_WITHDRAWAL, { id: row.id, action, note }, "storeCreditWithdrawalProcess");
      notify("success", `Withdrawal ${label.toLowerCase()}`, `${row.account.email}: ${result.withdrawal.status}`);
      onDone();
    } catch (error) {
      setErrors(messagesOf(error));
    }
  }
  return (
    <Box
      display="flex"
      flexDirection="column"
      gap={2}
      padding={3}
      borderRadius={3}
      borderStyle="solid"
      borderWidth={1}
      borderColor="default1"
      data-testid="withdrawal"
      data-status={row.status}
    >
      <Box display="flex" justifyContent="space-between" gap={2}>
        <Text fontWeight="bold">{row.account.email}</Text>
        <Text fontWeight="bold">{money(row.amount.amount, row.amount.currency, locale)}</Text>
      </Box>
      <Text size={1} color="default2">
        {row.status.toLowerCase()} · requested {dateTime(row.createdAt, locale)}
        {row.customerNote ? ` · “${row.customerNote}”` : ""}
      </Text>
      <Field label="Note to the customer (optional)" name={`withdrawal-note-${row.id}`} value={note} onChange={setNote} />
      <Box display="flex" gap={2}>
        {(ACTIONS[row.status] || []).map(([action, label, variant]) => (
          <Action key={action} variant={variant} onClick={() => act(action, label)} testId={`withdrawal-${action}`}>
            {label}
          </Action>
        ))}
      </Box>
      <ErrorBox messages={errors} />
    </Box>
  );
}
