import { Box, Checkbox, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";

import { gql, messagesOf, mutate, newKey, splitErrors } from "../../api";
import { notify } from "../../bridge";
import { Action, Choice, ErrorBox, Field, Loading, Section, Success, TextArea } from "../../components";
import { actorLabel, dateTime, money } from "../../format";
import { edges, useQuery } from "../../hooks";
import {
  ADJUST_REASONS,
  BULK_ADJUST,
  BULK_JOB_APPROVE,
  BULK_JOB_CANCEL,
  BULK_JOB_REJECT,
  BULK_JOBS,
  CUSTOMER_TYPES,
} from "../../queries";

const RUNNING = ["PENDING", "RUNNING"];
// Above the approval threshold: waits for another staff member.
const AWAITING = "AWAITING_APPROVAL";
const POLL_MS = 2000;

export function Bulk({ state }) {
  const { data, error, loading } = useQuery(state.token, CUSTOMER_TYPES, {});
  if (error) return <ErrorBox messages={[error.message]} />;
  if (loading && !data) return <Loading />;
  return (
    <Box display="flex" flexDirection="column" gap={6}>
      <BulkForm
        token={state.token}
        locale={state.locale}
        customerTypes={edges(data.customerTypes)}
        currencies={data.shop.channelCurrencies}
      />
      <BulkJobs token={state.token} locale={state.locale} />
    </Box>
  );
}

/** The latest bulk jobs, followed while any of them is still running. */
function BulkJobs({ token, locale }) {
  const { data, error, loading, reload } = useQuery(token, BULK_JOBS, {});
  const jobs = edges(data?.storeCreditBulkJobs);
  const running = jobs.some(job => RUNNING.includes(job.status));
  useEffect(() => {
    const started = () => reload();
    window.addEventListener("storecredit:bulk-job-started", started);
    return () => window.removeEventListener("storecredit:bulk-job-started", started);
  }, [reload]);
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [running, reload]);
  if (error) return <ErrorBox messages={[error.message]} />;
  if (loading && !data) return <Loading />;
  return (
    <Section title="Bulk jobs" testId="bulk-jobs">
      {jobs.length === 0 && (
        <Text size={2} color="default2">
          No bulk job yet.
        </Text>
      )}
      {jobs.map(job => (
        <BulkJobRow key={job.id} job={job} token={token} locale={locale} onDone={reload} />
      ))}
    </Section>
  );
}

function BulkJobRow({ job, token, locale, onDone }) {
  const [errors, setErrors] = useState([]);
  const [note, setNote] = useState("");
  const total = job.totalAmount ? money(job.totalAmount.amount, job.totalAmount.currency, locale) : "";
  async function decide(query, field, title) {
    try {
      const result = await mutate(token, query, { id: job.id, note }, field);
      notify("success", title, `${result.job.total} customers · ${result.job.status.toLowerCase().replaceAll("_", " ")}.`);
      onDone();
    } catch (error) {
      setErrors(messagesOf(error));
    }
  }
  async function cancel() {
    try {
      const result = await mutate(token, BULK_JOB_CANCEL, { id: job.id }, "storeCreditBulkJobCancel");
      notify("success", "Bulk job canceled", `${result.job.done} of ${result.job.total} customers were done.`);
      onDone();
    } catch (error) {
      setErrors(messagesOf(error));
    }
  }
  return (
    <Box
      display="flex"
      flexDirection="column"
      gap={1}
      paddingTop={2}
      borderTopStyle="solid"
      borderTopWidth={1}
      borderColor="default1"
      data-testid="bulk-job"
    >
      <Box display="flex" justifyContent="space-between" gap={2}>
        <Text size={2} fontWeight="bold" data-testid="bulk-job-status">
          {job.status.toLowerCase().replaceAll("_", " ")}
        </Text>
        <Text size={2} data-testid="bulk-job-progress">
          {job.done} of {job.total} customers
        </Text>
      </Box>
      <Text size={1} color="default2">
        {money(job.amount.amount, job.currency, locale)} each · {job.reason.replaceAll("_", " ")} · started{" "}
        {dateTime(job.createdAt, locale)} by {actorLabel(job.startedBy)}
      </Text>
      <Text size={1} data-testid="bulk-job-counts">
        {job.creditedCount} credited · {job.debitedCount} debited · {job.skippedCount} skipped · {job.failedCount} failed
        {total && ` · ${total} in total`}
      </Text>
      {job.approvedBy && (
        <Text size={1} color="default2" data-testid="bulk-job-approved-by">
          approved by {actorLabel(job.approvedBy)}
          {job.decisionNote ? ` · “${job.decisionNote}”` : ""}
        </Text>
      )}
      {job.rejectedBy && (
        <Text size={1} color="default2" data-testid="bulk-job-rejected-by">
          rejected by {actorLabel(job.rejectedBy)}
          {job.decisionNote ? ` · “${job.decisionNote}”` : ""}
        </Text>
      )}
      {job.failures.map(failure => (
        <Text key={failure.email} size={1} color="critical1" data-testid="bulk-job-failure">
          {failure.email}: {failure.message}
        </Text>
      ))}
      {job.status === AWAITING && (
        <Box display="flex" flexDirection="column" gap={2} data-testid="bulk-job-awaiting">
          <Text size={1}>
            Above the approval threshold: it starts once another staff member approves it. Whoever started it can only
            withdraw it (Reject).
          </Text>
          <Field label="Note on the decision (optional)" name={`bulk-job-note-${job.id}`} value={note} onChange={setNote} />
          <Box display="flex" gap={2}>
            <Action
              variant="primary"
              onClick={() => decide(BULK_JOB_APPROVE, "storeCreditBulkJobApprove", "Bulk job approved")}
              testId="bulk-job-approve"
            >
              Approve
            </Action>
            <Action
              variant="error"
              onClick={() => decide(BULK_JOB_REJECT, "storeCreditBulkJobReject", "Bulk job rejected")}
              testId="bulk-job-reject"
            >
              Reject
            </Action>
          </Box>
        </Box>
      )}
      <ErrorBox messages={errors} />
      {RUNNING.includes(job.status) && (
        <Box>
          <Action variant="error" onClick={cancel} testId="bulk-job-cancel">
            Cancel
          </Action>
        </Box>
      )}
    </Box>
  );
}

function BulkForm({ token, locale, customerTypes, currencies }) {
  const [form, setForm] = useState({
    customerTypes: [],
    currency: currencies[0] || "USD",
    amount: "",
    reason: "BONUS",
    note: "",
    customerNote: "",
    debitMode: "TAKE_AVAILABLE",
  });
  const [preview, setPreview] = useState(null);
  const [errors, setErrors] = useState({ byField: {}, general: [] });
  const [done, setDone] = useState("");
  const set = name => value => {
    setForm(previous => ({ ...previous, [name]: value }));
    setPreview(null); // a preview is for exactly the inputs it was made with
  };
  const toggleType = id => set("customerTypes")(
    form.customerTypes.includes(id) ? form.customerTypes.filter(item => item !== id) : [...form.customerTypes, id],
  );

  async function run(dryRun) {
    setDone("");
    const key = dryRun ? newKey("dashboard-bulk-preview") : preview.key;
    const input = { ...form, idempotencyKey: key, dryRun };
    try {
      const data = await gql(token, BULK_ADJUST, { input });
      const result = data.storeCreditBulkAdjust;
      if (result.errors.length) {
        setErrors(splitErrors(result.errors));
        return;
      }
      setErrors({ byField: {}, general: [] });
      if (dryRun) {
        setPreview({ ...result, key: newKey("dashboard-bulk") });
      } else {
        // The credit is given by a background job; its progress is listed below.
        const customers = `${result.count} ${result.count === 1 ? "customer" : "customers"}`;
        const waiting = result.job.status === AWAITING;
        const message = waiting
          ? `Bulk job for ${customers} is above the approval threshold: it starts once another staff member approves it.`
          : `Bulk job started for ${customers}: ${result.job.status.toLowerCase()}, ${result.job.done} done.`;
        setDone(message);
        notify("success", waiting ? "Bulk store credit awaits approval" : "Bulk store credit started", message);
        setPreview(null);
        window.dispatchEvent(new Event("storecredit:bulk-job-started"));
      }
    } catch (error) {
      setErrors({ byField: {}, general: [error.message] });
    }
  }

  const e = errors.byField;
  return (
    <Box display="flex" flexDirection="column" gap={3} data-testid="bulk">
      <Section title="Customer types">
        {customerTypes.length === 0 && <Text size={2}>No customer types defined.</Text>}
        {customerTypes.map(type => (
          <Box key={type.id} display="flex" gap={2} alignItems="center">
            <Checkbox
              checked={form.customerTypes.includes(type.id)}
              onCheckedChange={() => toggleType(type.id)}
              data-testid={`customer-type-${type.name}`}
            >
              <Text size={2}>{type.name}</Text>
            </Checkbox>
          </Box>
        ))}
        {e.customerTypes && <ErrorBox messages={[e.customerTypes]} />}
      </Section>
      <Box display="grid" gridTemplateColumns={2} gap={2}>
        <Field label="Amount per customer (negative deducts)" name="bulk-amount" value={form.amount} onChange={set("amount")} error={e.amount} />
        <Choice label="Currency" name="bulk-currency" value={form.currency} onChange={set("currency")} options={currencies.map(code => ({ value: code, label: code }))} error={e.currency} />
        <Choice label="Reason" name="bulk-reason" value={form.reason} onChange={set("reason")} options={ADJUST_REASONS.map(reason => ({ value: reason, label: reason.replaceAll("_", " ").toLowerCase() }))} />
        <Choice
          label="When a deduction is more than available"
          name="bulk-debit-mode"
          value={form.debitMode}
          onChange={set("debitMode")}
          options={[
            { value: "TAKE_AVAILABLE", label: "Take what is available" },
            { value: "SKIP", label: "Skip the account" },
          ]}
        />
      </Box>
      <TextArea label="Note for staff" name="bulk-note" value={form.note} onChange={set("note")} />
      <TextArea label="Note for the customers" name="bulk-customer-note" value={form.customerNote} onChange={set("customerNote")} />
      <ErrorBox messages={[...errors.general, ...Object.entries(e).filter(([f]) => !["amount", "currency", "customerTypes"].includes(f)).map(([, m]) => m)]} testId="bulk-errors" />
      {preview && (
        <Box padding={3} borderRadius={3} backgroundColor="default2" data-testid="bulk-preview">
          <Text as="p" fontWeight="bold">
            Dry run: nothing changed yet.
          </Text>
          <Text as="p" size={2}>
            {preview.count} customers matched · {preview.changedCount} would change · {preview.skippedCount} would be skipped ·{" "}
            {money(preview.totalAmount.amount, preview.totalAmount.currency, locale)} in total
          </Text>
          {preview.needsApproval && (
            <Text as="p" size={2} data-testid="bulk-preview-needs-approval">
              Above the approval threshold: the job will wait until another staff member approves it.
            </Text>
          )}
        </Box>
      )}
      <Success testId="bulk-success">{done}</Success>
      <Box display="flex" gap={2}>
        <Action variant="secondary" onClick={() => run(true)} disabled={!form.amount || !form.customerTypes.length} testId="bulk-preview-button">
          Preview (dry run)
        </Action>
        <Action onClick={() => run(false)} disabled={!preview} testId="bulk-apply">
          Apply to {preview ? preview.count : 0} customers
        </Action>
      </Box>
    </Box>
  );
}
