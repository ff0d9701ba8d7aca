import { Box, Text } from "@saleor/macaw-ui";
import { useState } from "react";

import { gql, messagesOf, mutate, newKey, splitErrors } from "../api";
import { notify, refreshEntity } from "../bridge";
import {
  Action,
  CanUseChip,
  Choice,
  ErrorBox,
  Field,
  Loading,
  Page,
  Refusal,
  Section,
  StatusChip,
  Success,
  TextArea,
} from "../components";
import { money } from "../format";
import { edges, useQuery } from "../hooks";
import { MANAGE_USERS, missing } from "../permissions";
import {
  ACCOUNT_UPDATE,
  ADJUST,
  ADJUST_REASONS,
  CURRENCIES,
  CUSTOMER_CREDIT,
  REDEEM_FOR_CUSTOMER,
} from "../queries";

export function CustomerActions({ state, params }) {
  const lacking = missing(state, [MANAGE_USERS]);
  const customerId = params.get("customerId");
  const skip = lacking.length > 0 || !customerId;
  const credit = useQuery(state.token, CUSTOMER_CREDIT, { user: customerId }, { skip });
  const currencies = useQuery(state.token, CURRENCIES, {}, { skip });
  if (lacking.length) return <Refusal permissions={lacking} />;
  if (!customerId) return <ErrorBox messages={["The Dashboard did not say which customer."]} />;
  if (!credit.data || !currencies.data) {
    const error = credit.error || currencies.error;
    if (error) return error.permissionDenied ? <Refusal permissions={[MANAGE_USERS]} /> : <ErrorBox messages={[error.message]} />;
    return <Loading />;
  }
  const accounts = edges(credit.data.storeCreditAccounts);
  const changed = () => {
    credit.reload();
    refreshEntity();
  };
  return (
    <Page title="Store credit" testId="customer-actions">
      <Box display="flex" gap={3} flexWrap="wrap" data-testid="balances">
        {accounts.map(account => (
          <Text key={account.id} size={3} data-testid={`balance-${account.currency}`}>
            {money(account.balance.amount, account.currency, state.locale)} (available{" "}
            {money(account.available.amount, account.currency, state.locale)})
          </Text>
        ))}
        {accounts.length === 0 && <Text size={2}>No store credit yet.</Text>}
      </Box>
      <AdjustForm
        token={state.token}
        customerId={customerId}
        currencies={ownCurrenciesFirst(accounts, currencies.data.shop.channelCurrencies)}
        onDone={changed}
        locale={state.locale}
      />
      <RedeemForm token={state.token} customerId={customerId} onDone={changed} locale={state.locale} />
      <Section title="Account" testId="account-actions">
        {accounts.map(account => (
          <AccountActions key={account.id} token={state.token} account={account} onDone={changed} />
        ))}
        {accounts.length === 0 && (
          <Text size={2} color="default2">
            The customer has no account yet; adding credit opens one.
          </Text>
        )}
      </Section>
    </Page>
  );
}

// The customer's own currencies first (the form starts with the first), then
// the shop's other channel currencies.
function ownCurrenciesFirst(accounts, channelCurrencies) {
  const own = accounts.map(account => account.currency);
  return [...own, ...channelCurrencies.filter(code => !own.includes(code))];
}

const EMPTY_ADJUST = { direction: "add", amount: "", reason: "MANUAL", note: "", customerNote: "", expiresAt: "" };

function AdjustForm({ token, customerId, currencies, onDone, locale }) {
  const [form, setForm] = useState({ ...EMPTY_ADJUST, currency: currencies[0] || "USD" });
  const [key, setKey] = useState(() => newKey("dashboard-adjust"));
  const [errors, setErrors] = useState({ byField: {}, general: [] });
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const set = name => value => {
    setForm(previous => ({ ...previous, [name]: value }));
    setKey(newKey("dashboard-adjust")); // a different change is a different operation
  };

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setDone("");
    const amount = form.direction === "deduct" ? `-${form.amount.replace(/^-/, "")}` : form.amount;
    const input = {
      user: customerId,
      currency: form.currency,
      amount,
      reason: form.reason,
      note: form.note,
      customerNote: form.customerNote,
      idempotencyKey: key,
    };
    if (form.expiresAt && form.direction === "add") input.expiresAt = new Date(`${form.expiresAt}T23:59:59`).toISOString();
    try {
      const data = await gql(token, ADJUST, { input });
      const result = data.storeCreditAdjust;
      if (result.errors.length) {
        setErrors(splitErrors(result.errors));
      } else {
        setErrors({ byField: {}, general: [] });
        if (result.transaction) {
          const { amount: changed, balanceAfter } = result.transaction;
          const message = `${Number(changed.amount) < 0 ? "Deducted" : "Added"} ${money(Math.abs(changed.amount), changed.currency, locale)}. New balance ${money(balanceAfter.amount, changed.currency, locale)}.`;
          setDone(message);
          notify("success", "Store credit changed", message);
        } else {
          const { amount: asked } = result.approval;
          const message = `${money(asked.amount, asked.currency, locale)} is above the approval threshold: it waits for another staff member (Store credit → Approvals).`;
          setDone(message);
          notify("info", "Waiting for approval", message);
        }
        setForm(previous => ({ ...EMPTY_ADJUST, currency: previous.currency }));
        setKey(newKey("dashboard-adjust"));
        onDone();
      }
    } catch (error) {
      setErrors({ byField: {}, general: [error.message] });
    } finally {
      setBusy(false);
    }
  }

  const e = errors.byField;
  return (
    <Box as="form" onSubmit={submit} data-testid="adjust-form">
      <Section title="Add or deduct credit">
        <Choice
          label="Change"
          name="direction"
          value={form.direction}
          onChange={set("direction")}
          options={[
            { value: "add", label: "Add credit" },
            { value: "deduct", label: "Deduct credit" },
          ]}
        />
        <Box display="grid" gridTemplateColumns={2} gap={2}>
          <Field label="Amount" name="amount" value={form.amount} onChange={set("amount")} error={e.amount} inputMode="decimal" />
          <Choice
            label="Currency"
            name="currency"
            value={form.currency}
            onChange={set("currency")}
            options={currencies.map(code => ({ value: code, label: code }))}
            error={e.currency}
          />
        </Box>
        <Choice
          label="Reason"
          name="reason"
          value={form.reason}
          onChange={set("reason")}
          options={ADJUST_REASONS.map(reason => ({ value: reason, label: reason.replaceAll("_", " ").toLowerCase() }))}
          error={e.reason}
        />
        <TextArea label="Note for staff" name="note" value={form.note} onChange={set("note")} error={e.note} />
        <TextArea label="Note for the customer" name="customerNote" value={form.customerNote} onChange={set("customerNote")} error={e.customerNote} />
        {form.direction === "add" && (
          <Field label="Expires on (optional)" name="expiresAt" type="date" value={form.expiresAt} onChange={set("expiresAt")} error={e.expiresAt} />
        )}
        <ErrorBox messages={[...errors.general, ...otherErrors(e, ["amount", "currency", "reason", "note", "customerNote", "expiresAt"])]} testId="adjust-errors" />
        <Success testId="adjust-success">{done}</Success>
        <Box>
          <Action type="submit" disabled={busy || !form.amount} testId="adjust-submit">
            {form.direction === "deduct" ? "Deduct credit" : "Add credit"}
          </Action>
        </Box>
      </Section>
    </Box>
  );
}

function otherErrors(byField, shown) {
  return Object.entries(byField)
    .filter(([field]) => !shown.includes(field))
    .map(([, message]) => message);
}

function RedeemForm({ token, customerId, onDone, locale }) {
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState({ byField: {}, general: [] });
  const [done, setDone] = useState("");
  async function submit(event) {
    event.preventDefault();
    setDone("");
    try {
      const data = await gql(token, REDEEM_FOR_CUSTOMER, { code, user: customerId });
      const result = data.storeCreditRedeemGiftCard;
      if (result.errors.length) {
        setErrors(splitErrors(result.errors));
        return;
      }
      setErrors({ byField: {}, general: [] });
      const { amount, balanceAfter } = result.transaction;
      const message = `Redeemed ${money(amount.amount, amount.currency, locale)}. New balance ${money(balanceAfter.amount, amount.currency, locale)}.`;
      setDone(message);
      notify("success", "Gift card redeemed", message);
      setCode("");
      onDone();
    } catch (error) {
      const unsupported = /Unknown argument "user"/i.test(error.message);
      setErrors({
        byField: {},
        general: [unsupported ? "This Saleor cannot redeem a gift card for a customer yet (update the store-credit plugin)." : error.message],
      });
    }
  }
  return (
    <Box as="form" onSubmit={submit} data-testid="redeem-form">
      <Section title="Redeem a gift card into this customer's credit">
        <Field label="Gift card code" name="code" value={code} onChange={setCode} error={errors.byField.code} />
        <ErrorBox messages={errors.general} testId="redeem-errors" />
        <Success testId="redeem-success">{done}</Success>
        <Box>
          <Action type="submit" variant="secondary" disabled={!code} testId="redeem-submit">
            Redeem gift card
          </Action>
        </Box>
      </Section>
    </Box>
  );
}

function AccountActions({ token, account, onDone }) {
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState([]);
  const [done, setDone] = useState("");
  async function update(input, message) {
    setDone("");
    try {
      const changes = { ...input, ...(note ? { note } : {}) };
      await mutate(token, ACCOUNT_UPDATE, { id: account.id, input: changes }, "storeCreditAccountUpdate");
      setErrors([]);
      setDone(message);
      notify("success", "Store credit account updated", message);
      onDone();
    } catch (error) {
      setErrors(messagesOf(error));
    }
  }
  const onHold = account.status === "ON_HOLD";
  return (
    <Box display="flex" flexDirection="column" gap={2} data-testid={`account-actions-${account.currency}`}>
      <Box display="flex" gap={2} alignItems="center">
        <Text fontWeight="bold">{account.currency}</Text>
        <StatusChip status={account.status} />
        <CanUseChip canUse={account.canUse} />
      </Box>
      <Field label="Note for staff (optional)" name={`account-note-${account.currency}`} value={note} onChange={setNote} />
      <Box display="flex" gap={2} flexWrap="wrap">
        {onHold ? (
          <Action variant="secondary" testId="release" onClick={() => update({ status: "ACTIVE" }, `${account.currency} credit released.`)}>
            Release hold
          </Action>
        ) : (
          <Action variant="error" testId="hold" onClick={() => update({ status: "ON_HOLD" }, `${account.currency} credit put on hold.`)}>
            Put on hold
          </Action>
        )}
        <Action variant="secondary" testId="allow" disabled={account.canUse === true} onClick={() => update({ canUse: true }, "Customer allowed to pay with credit.")}>
          Allow
        </Action>
        <Action variant="secondary" testId="refuse" disabled={account.canUse === false} onClick={() => update({ canUse: false }, "Customer refused paying with credit.")}>
          Refuse
        </Action>
      </Box>
      <ErrorBox messages={errors} testId="account-errors" />
      <Success testId="account-success">{done}</Success>
    </Box>
  );
}
