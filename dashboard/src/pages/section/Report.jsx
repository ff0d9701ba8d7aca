import { Box, Text } from "@saleor/macaw-ui";
import { useMemo, useState } from "react";

import { gql } from "../../api";
import { Action, Choice, ErrorBox, Field, Loading, Section, Table } from "../../components";
import { date, money } from "../../format";
import { edges, useQuery } from "../../hooks";
import { CURRENCIES, HISTORY_PAGE, reportQuery } from "../../queries";
import { historyCsv } from "./csv";

const MONTHS = 6;

function monthEnds(count) {
  const now = new Date();
  return Array.from({ length: count }, (_, index) => {
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (count - 1 - index) + 1, 1) - 1);
    return end > now ? now.toISOString() : end.toISOString();
  });
}

function firstOfMonth() {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

export function Report({ state }) {
  const currencies = useQuery(state.token, CURRENCIES, {});
  if (currencies.error) return <ErrorBox messages={[currencies.error.message]} />;
  if (!currencies.data) return <Loading />;
  return <ReportView state={state} currencies={currencies.data.shop.channelCurrencies} />;
}

function ReportView({ state, currencies }) {
  const [currency, setCurrency] = useState(currencies[0] || "USD");
  const [since, setSince] = useState(firstOfMonth());
  const [until, setUntil] = useState(new Date().toISOString().slice(0, 10));
  const ends = useMemo(() => monthEnds(MONTHS), []);
  const query = useMemo(() => reportQuery(ends), [ends]);
  const period = { gte: `${since}T00:00:00Z`, lte: `${until}T23:59:59Z` };
  const { data, error, loading } = useQuery(state.token, query, { currency, period });
  const m = amount => money(amount, currency, state.locale);

  return (
    <Box display="flex" flexDirection="column" gap={4} data-testid="report">
      <Box display="grid" gridTemplateColumns={3} gap={2}>
        <Choice label="Currency" name="report-currency" value={currency} onChange={setCurrency} options={currencies.map(code => ({ value: code, label: code }))} />
        <Field label="From" name="report-since" type="date" value={since} onChange={setSince} />
        <Field label="To" name="report-until" type="date" value={until} onChange={setUntil} />
      </Box>
      {error && <ErrorBox messages={[error.message]} />}
      {loading && !data && <Loading />}
      {data && (
        <>
          <Box display="grid" gridTemplateColumns={4} gap={3} data-testid="report-totals">
            {[
              ["Opening liability", data.report.openingLiability],
              ["Issued", data.report.issued],
              ["Spent", data.report.spent],
              ["Refunded", data.report.refunded],
              ["Expired", data.report.expired],
              ["Withdrawn", data.report.withdrawn],
              ["Bonus", data.report.bonus],
              ["Closing liability", data.report.closingLiability],
            ].map(([label, value]) => (
              <Box key={label}>
                <Text size={1} color="default2">
                  {label}
                </Text>
                <Text as="p" size={4} fontWeight="bold">
                  {m(value.amount)}
                </Text>
              </Box>
            ))}
          </Box>
          <Section title="Movement per reason" testId="report-movements">
            <Table
              rows={data.report.movements.map(row => ({ ...row, key: row.reason }))}
              columns={[
                { key: "reason", label: "Reason", render: row => row.reason.replaceAll("_", " ") },
                { key: "credited", label: "Credited", render: row => m(row.credited.amount) },
                { key: "debited", label: "Debited", render: row => m(row.debited.amount) },
                { key: "net", label: "Net", render: row => m(row.net.amount) },
                { key: "count", label: "Count" },
              ]}
              empty="No movement in this period."
            />
          </Section>
          <Section title="Outstanding liability" testId="report-chart">
            <LiabilityChart points={ends.map((end, index) => ({ end, amount: Number(data[`m${index}`].closingLiability.amount) }))} format={m} locale={state.locale} />
          </Section>
          <Section title="Expiring in the next 30 days" testId="report-expiring">
            <Text data-testid="expiring-total">
              {m(data.report.expiringSoon.amount)} on {data.report.expiringAccounts} accounts
            </Text>
            <Table
              rows={edges(data.expiring).map(row => ({ ...row, key: row.id }))}
              columns={[
                { key: "email", label: "Customer" },
                {
                  key: "lots",
                  label: "Expires first",
                  render: row => {
                    const lot = row.lots.find(item => item.expiresAt);
                    return lot ? `${m(lot.remainingAmount.amount)} on ${date(lot.expiresAt, state.locale)}` : "—";
                  },
                },
              ]}
              empty="Nothing expires in the next 30 days."
            />
          </Section>
          <CsvDownload token={state.token} currency={currency} period={period} />
        </>
      )}
    </Box>
  );
}

function LiabilityChart({ points, format, locale }) {
  const width = 480;
  const height = 160;
  const max = Math.max(1, ...points.map(point => point.amount));
  const barWidth = width / points.length;
  return (
    <Box as="svg" viewBox={`0 0 ${width} ${height + 30}`} width="100%" style={{ maxWidth: width }} role="img" aria-label="Outstanding liability per month" data-testid="liability-chart">
      {points.map((point, index) => {
        const barHeight = (point.amount / max) * height;
        return (
          <g key={point.end}>
            <rect x={index * barWidth + 8} y={height - barHeight} width={barWidth - 16} height={barHeight} rx="4" fill="currentColor" opacity="0.6">
              <title>{format(point.amount)}</title>
            </rect>
            <text x={index * barWidth + barWidth / 2} y={height + 18} textAnchor="middle" fontSize="11" fill="currentColor">
              {new Date(point.end).toLocaleDateString(locale, { month: "short" })}
            </text>
          </g>
        );
      })}
    </Box>
  );
}

const MAX_PAGES = 100;

function CsvDownload({ token, currency, period }) {
  const [state, setState] = useState({ busy: false, error: "", rows: null });
  async function download() {
    setState({ busy: true, error: "", rows: null });
    try {
      const rows = [];
      let after = null;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const data = await gql(token, HISTORY_PAGE, { filter: { currency, createdAt: period }, after });
        rows.push(...edges(data.storeCreditTransactions));
        if (!data.storeCreditTransactions.pageInfo.hasNextPage) break;
        after = data.storeCreditTransactions.pageInfo.endCursor;
      }
      const blob = new Blob([historyCsv(rows)], { type: "text/csv" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `store-credit-${currency}-${period.gte.slice(0, 10)}-${period.lte.slice(0, 10)}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setState({ busy: false, error: "", rows: rows.length });
    } catch (error) {
      setState({ busy: false, error: error.message, rows: null });
    }
  }
  return (
    <Section title="History">
      <Box display="flex" gap={2} alignItems="center">
        <Action variant="secondary" onClick={download} disabled={state.busy} testId="csv-download">
          Download CSV
        </Action>
        {state.rows !== null && (
          <Text size={2} data-testid="csv-rows">
            {state.rows} rows
          </Text>
        )}
      </Box>
      <ErrorBox messages={[state.error]} />
    </Section>
  );
}
