const COLUMNS = [
  ["created_at", row => row.createdAt],
  ["email", row => row.account?.email],
  ["currency", row => row.currency],
  ["kind", row => row.kind],
  ["reason", row => row.reason],
  ["amount", row => row.amount.amount],
  ["balance_after", row => row.balanceAfter.amount],
  ["actor", row => row.actor?.user?.email || row.actor?.app?.name || row.actor?.type],
  ["order_id", row => row.orderId],
  ["internal_note", row => row.internalNote],
  ["customer_note", row => row.customerNote],
];

function cell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  // A cell a spreadsheet would run as a formula is written as text.
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function historyCsv(rows) {
  const lines = [COLUMNS.map(([name]) => name).join(",")];
  for (const row of rows) lines.push(COLUMNS.map(([, get]) => cell(get(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
