import { Box, Text } from "@saleor/macaw-ui";

import { redirect, useCreditChanges } from "../bridge";
import { CanUseChip, ErrorBox, Loading, Refusal, Section, StatusChip } from "../components";
import { actorLabel, date, dateTime, money, orderGlobalId, withinDays } from "../format";
import { edges, useQuery } from "../hooks";
import { MANAGE_USERS, missing } from "../permissions";
import { CUSTOMER_CREDIT } from "../queries";

const EXPIRING_DAYS = 30;

export function CustomerWidget({ state, params }) {
  const lacking = missing(state, [MANAGE_USERS]);
  const customerId = params.get("customerId");
  const { data, error, loading, reload } = useQuery(
    state.token,
    CUSTOMER_CREDIT,
    { user: customerId },
    { skip: lacking.length > 0 || !customerId },
  );
  useCreditChanges(reload);
  if (lacking.length) return <Refusal permissions={lacking} />;
  if (!customerId) return <ErrorBox messages={["The Dashboard did not say which customer."]} />;
  if (loading && !data) return <Loading />;
  if (error) return error.permissionDenied ? <Refusal permissions={[MANAGE_USERS]} /> : <ErrorBox messages={[error.message]} />;

  const accounts = edges(data.storeCreditAccounts);
  const history = edges(data.storeCreditTransactions);
  return (
    <Box display="flex" flexDirection="column" gap={4} padding={2} data-testid="customer-widget">
      {accounts.length === 0 && (
        <Text size={2} color="default2" data-testid="no-credit">
          No store credit yet.
        </Text>
      )}
      {accounts.map(account => (
        <AccountSummary key={account.id} account={account} locale={state.locale} />
      ))}
      <Section title="Last movements" testId="history">
        {history.length === 0 && (
          <Text size={2} color="default2">
            Nothing yet.
          </Text>
        )}
        {history.map(entry => (
          <HistoryRow key={entry.id} entry={entry} locale={state.locale} />
        ))}
      </Section>
    </Box>
  );
}

function AccountSummary({ account, locale }) {
  const expiring = account.lots.filter(lot => lot.expiresAt && withinDays(lot.expiresAt, EXPIRING_DAYS));
  const expiringTotal = expiring.reduce((sum, lot) => sum + Number(lot.remainingAmount.amount), 0);
  const m = amount => money(amount, account.currency, locale);
  return (
    <Box display="flex" flexDirection="column" gap={1} data-testid={`account-${account.currency}`}>
      <Box display="flex" justifyContent="space-between" alignItems="center" gap={2}>
        <Text size={6} fontWeight="bold" data-testid="balance">
          {m(account.balance.amount)}
        </Text>
        <Box display="flex" gap={1}>
          <StatusChip status={account.status} />
          <CanUseChip canUse={account.canUse} />
        </Box>
      </Box>
      <Text size={2} color="default2">
        Available <span data-testid="available">{m(account.available.amount)}</span> · Held{" "}
        <span data-testid="held">{m(account.held.amount)}</span>
      </Text>
      {expiringTotal > 0 && (
        <Text size={2} color="warning1" data-testid="expiring">
          {m(expiringTotal)} expires by {date(expiring[0].expiresAt, locale)}
        </Text>
      )}
      {account.note && (
        <Text size={2} color="default2">
          Note: {account.note}
        </Text>
      )}
    </Box>
  );
}

// Authorizations, captures and releases move credit between available and held;
// the balance changes only by `amount`.
function movement(entry) {
  const amount = Number(entry.amount.amount);
  const held = Number(entry.heldChange?.amount || 0);
  if (amount === 0 && held > 0) return { amount: held, label: "held", tone: "default1" };
  if (amount === 0 && held < 0) return { amount: -held, label: "released", tone: "default1" };
  return { amount, label: "", tone: amount < 0 ? "critical1" : "success1" };
}

function HistoryRow({ entry, locale }) {
  const { amount, label, tone } = movement(entry);
  return (
    <Box
      display="flex"
      flexDirection="column"
      gap={0.5}
      paddingTop={2}
      borderTopStyle="solid"
      borderTopWidth={1}
      borderColor="default1"
      data-testid="history-row"
    >
      <Box display="flex" justifyContent="space-between" gap={2}>
        <Text size={2} fontWeight="medium">
          {entry.reason.replaceAll("_", " ")}
        </Text>
        <Text size={2} fontWeight="bold" color={tone} data-testid="history-amount">
          {label ? `${label} ` : amount > 0 ? "+" : ""}
          {money(amount, entry.currency, locale)}
        </Text>
      </Box>
      <Text size={1} color="default2">
        {dateTime(entry.createdAt, locale)} · {actorLabel(entry.actor)} · balance{" "}
        {money(entry.balanceAfter.amount, entry.currency, locale)}
      </Text>
      {entry.internalNote && <Text size={1}>Staff note: {entry.internalNote}</Text>}
      {entry.customerNote && <Text size={1}>Customer note: {entry.customerNote}</Text>}
      {entry.orderId && (
        <Text
          as="a"
          size={1}
          color="accent1"
          href="#"
          onClick={event => {
            event.preventDefault();
            redirect(`/orders/${orderGlobalId(entry.orderId)}`);
          }}
          data-testid="order-link"
        >
          View order
        </Text>
      )}
    </Box>
  );
}
