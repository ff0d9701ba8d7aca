import { Box, Text } from "@saleor/macaw-ui";
import { useState } from "react";

import { gql, newKey, splitErrors } from "../api";
import { notify, refreshEntity, useCreditChanges } from "../bridge";
import { Action, Choice, ErrorBox, Field, Loading, Refusal, Success } from "../components";
import { money } from "../format";
import { edges, useQuery } from "../hooks";
import { HANDLE_PAYMENTS, MANAGE_ORDERS, MANAGE_USERS, missing } from "../permissions";
import { ADJUST, ORDER_CREDIT, REFUND_REASON_PAGES, REFUND_REASONS, REFUND_TRANSACTION } from "../queries";

const PAID_KINDS = ["CAPTURE", "DEBIT"];

/** What credit paid, what went back to credit and what can still go back. */
export function summarize(order, entries) {
  const currency = order.total.gross.currency;
  const paid = entries
    .filter(entry => PAID_KINDS.includes(entry.kind) && entry.reason === "payment")
    .reduce((sum, entry) => sum - Number(entry.amount.amount), 0);
  const refunded = entries
    .filter(entry => entry.kind === "REFUND")
    .reduce((sum, entry) => sum + Number(entry.amount.amount), 0);
  const creditTransactions = order.transactions.filter(transaction =>
    (transaction.pspReference || "").startsWith("storecredit:"),
  );
  const refundable = creditTransactions.reduce(
    (sum, transaction) => sum + Number(transaction.chargedAmount.amount),
    0,
  );
  return { currency, paid, refunded, refundable, creditTransactions };
}

export function OrderWidget({ state, params }) {
  const lacking = missing(state, [MANAGE_ORDERS, MANAGE_USERS]);
  const orderId = params.get("orderId");
  const { data, error, loading, reload } = useQuery(
    state.token,
    ORDER_CREDIT,
    { order: orderId },
    { skip: lacking.length > 0 || !orderId },
  );
  useCreditChanges(reload);
  if (lacking.length) return <Refusal permissions={lacking} />;
  if (!orderId) return <ErrorBox messages={["The Dashboard did not say which order."]} />;
  if (loading && !data) return <Loading />;
  if (error) return error.permissionDenied ? <Refusal permissions={[MANAGE_ORDERS, MANAGE_USERS]} /> : <ErrorBox messages={[error.message]} />;
  if (!data.order) return <ErrorBox messages={["Order not found."]} />;

  const summary = summarize(data.order, edges(data.storeCreditTransactions));
  const m = amount => money(amount, summary.currency, state.locale);
  const canRefund = missing(state, [HANDLE_PAYMENTS]).length === 0;
  return (
    <Box display="flex" flexDirection="column" gap={2} padding={2} data-testid="order-widget">
      <Row label="Paid with credit" value={m(summary.paid)} testId="order-paid" />
      <Row label="Refunded to credit" value={m(summary.refunded)} testId="order-refunded" />
      <Row label="Still refundable to credit" value={m(summary.refundable)} testId="order-refundable" />
      {canRefund ? (
        <RefundForm
          token={state.token}
          order={data.order}
          summary={summary}
          locale={state.locale}
          onDone={() => {
            reload();
            refreshEntity();
          }}
        />
      ) : (
        <Text size={1} color="default2">
          Refunding needs the HANDLE_PAYMENTS permission.
        </Text>
      )}
    </Box>
  );
}

function Row({ label, value, testId }) {
  return (
    <Box display="flex" justifyContent="space-between" gap={2}>
      <Text size={2} color="default2">
        {label}
      </Text>
      <Text size={3} fontWeight="bold" data-testid={testId}>
        {value}
      </Text>
    </Box>
  );
}

/**
 * Credit paid: refund the plugin's transaction (Saleor's own refund flow).
 * Paid another way: credit the customer with reason REFUND and the order number.
 */
function RefundForm({ token, order, summary, locale, onDone }) {
  const [amount, setAmount] = useState("");
  const [errors, setErrors] = useState({ byField: {}, general: [] });
  const [done, setDone] = useState("");
  const transaction = summary.creditTransactions.find(item => Number(item.chargedAmount.amount) > 0);
  const reasons = useQuery(token, REFUND_REASONS, {}, { skip: !transaction });
  const reasonType = reasons.data?.refundSettings?.reasonReferenceType;
  const reasonPages = useQuery(token, REFUND_REASON_PAGES, { type: reasonType?.id }, { skip: !reasonType });
  const [reason, setReason] = useState("");

  async function submit(event) {
    event.preventDefault();
    setDone("");
    try {
      let resultErrors;
      let waiting = null;
      if (transaction) {
        const data = await gql(token, REFUND_TRANSACTION, { id: transaction.id, amount, reason: reason || null });
        resultErrors = data.transactionRequestAction.errors;
      } else {
        if (!order.user) {
          setErrors({ byField: {}, general: ["The order has no customer account to credit."] });
          return;
        }
        const data = await gql(token, ADJUST, {
          input: {
            user: order.user.id,
            currency: summary.currency,
            amount,
            reason: "REFUND",
            note: `Refund to store credit for order #${order.number}`,
            customerNote: `Refund for order #${order.number}`,
            idempotencyKey: newKey(`order-${order.number}-refund`),
          },
        });
        resultErrors = data.storeCreditAdjust.errors;
        waiting = data.storeCreditAdjust.approval;
      }
      if (resultErrors.length) {
        setErrors(splitErrors(resultErrors));
        return;
      }
      setErrors({ byField: {}, general: [] });
      const message = waiting
        ? `${money(amount, summary.currency, locale)} is above the approval threshold: it waits for another staff member.`
        : `Refunded ${money(amount, summary.currency, locale)} to store credit.`;
      setDone(message);
      notify(waiting ? "info" : "success", waiting ? "Waiting for approval" : "Refunded to store credit", message);
      setAmount("");
      onDone();
    } catch (error) {
      setErrors({ byField: {}, general: [error.message] });
    }
  }
  return (
    <Box as="form" onSubmit={submit} display="flex" flexDirection="column" gap={2} data-testid="refund-form">
      <Field label="Refund to store credit" name="refund-amount" value={amount} onChange={setAmount} error={errors.byField.amount} inputMode="decimal" />
      {transaction && reasonType && (
        <Choice
          label={`Reason (${reasonType.name})`}
          name="refund-reason"
          value={reason}
          onChange={setReason}
          options={[{ value: "", label: "Choose a reason" }, ...edges(reasonPages.data?.pages).map(page => ({ value: page.id, label: page.title }))]}
          error={errors.byField.refundReasonReference}
        />
      )}
      <ErrorBox messages={[...errors.general, ...Object.entries(errors.byField).filter(([f]) => f !== "amount").map(([, message]) => message)]} testId="refund-errors" />
      <Success testId="refund-success">{done}</Success>
      <Box>
        <Action type="submit" variant="secondary" disabled={!amount || (transaction && reasonType && !reason)} testId="refund-submit">
          Refund to store credit
        </Action>
      </Box>
    </Box>
  );
}
