import { Box, Text } from "@saleor/macaw-ui";
import { useState } from "react";

import { messagesOf, mutate } from "../../api";
import { notify } from "../../bridge";
import { Action, ErrorBox, Field, Loading } from "../../components";
import { dateTime, money } from "../../format";
import { edges, useQuery } from "../../hooks";
import { APPROVALS, APPROVE_ADJUSTMENT, REJECT_ADJUSTMENT } from "../../queries";

// Adjustments above the shop's approval threshold wait here for a second
// staff member; the one who asked can only cancel theirs (Reject).
export function Approvals({ state }) {
  const { data, error, loading, reload } = useQuery(state.token, APPROVALS, {});
  if (error) return <ErrorBox messages={[error.message]} />;
  if (loading && !data) return <Loading />;
  const rows = edges(data.storeCreditAdjustmentApprovals);
  return (
    <Box display="flex" flexDirection="column" gap={3} data-testid="approvals">
      {rows.length === 0 && (
        <Text size={2} color="default2">
          No adjustment is waiting for approval.
        </Text>
      )}
      {rows.map(row => (
        <ApprovalRow key={row.id} row={row} token={state.token} locale={state.locale} onDone={reload} />
      ))}
    </Box>
  );
}

function requester(actor) {
  return actor.user?.email || actor.app?.name || actor.type;
}

function ApprovalRow({ row, token, locale, onDone }) {
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState([]);
  const amount = money(row.amount.amount, row.amount.currency, locale);
  const customer = row.user ? row.user.email : "deleted customer";
  async function approve() {
    try {
      const result = await mutate(token, APPROVE_ADJUSTMENT, { id: row.id, note }, "storeCreditAdjustmentApprove");
      const after = result.transaction.balanceAfter.amount;
      notify("success", "Adjustment approved", `${customer}: ${amount}. New balance ${money(after, row.amount.currency, locale)}.`);
      onDone();
    } catch (error) {
      setErrors(messagesOf(error));
    }
  }
  async function reject() {
    try {
      const result = await mutate(token, REJECT_ADJUSTMENT, { id: row.id, note }, "storeCreditAdjustmentReject");
      notify("success", `Adjustment ${result.approval.status.toLowerCase()}`, `${customer}: ${amount}. Nothing changed.`);
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
      data-testid="approval"
      data-status={row.status}
    >
      <Box display="flex" justifyContent="space-between" gap={2}>
        <Text fontWeight="bold">{customer}</Text>
        <Text fontWeight="bold" data-testid="approval-amount">
          {Number(row.amount.amount) > 0 ? "+" : ""}
          {amount}
        </Text>
      </Box>
      <Text size={1} color="default2" data-testid="approval-requested-by">
        {row.reason.replaceAll("_", " ")} · asked by {requester(row.requestedBy)} · {dateTime(row.createdAt, locale)}
        {row.note ? ` · “${row.note}”` : ""}
      </Text>
      <Field label="Note on the decision (optional)" name={`approval-note-${row.id}`} value={note} onChange={setNote} />
      <Box display="flex" gap={2}>
        <Action variant="primary" onClick={approve} testId="approval-approve">
          Approve
        </Action>
        <Action variant="error" onClick={reject} testId="approval-reject">
          Reject
        </Action>
      </Box>
      <ErrorBox messages={errors} />
    </Box>
  );
}
