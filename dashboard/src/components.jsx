import { Box, Button, Chip, Input, Spinner, Text, Textarea } from "@saleor/macaw-ui";

export function Page({ title, children, testId }) {
  return (
    <Box display="flex" flexDirection="column" gap={4} padding={4} data-testid={testId}>
      {title && (
        <Text size={7} fontWeight="bold">
          {title}
        </Text>
      )}
      {children}
    </Box>
  );
}

export function Section({ title, children, testId }) {
  return (
    <Box display="flex" flexDirection="column" gap={3} data-testid={testId}>
      {title && (
        <Text size={5} fontWeight="bold">
          {title}
        </Text>
      )}
      {children}
    </Box>
  );
}

export function Loading({ text = "Loading…" }) {
  return (
    <Box display="flex" gap={2} alignItems="center" padding={2}>
      <Spinner />
      <Text size={2}>{text}</Text>
    </Box>
  );
}

/** Shown instead of a page when the token lacks a permission. */
export function Refusal({ permissions }) {
  return (
    <Box
      padding={4}
      borderRadius={4}
      borderStyle="solid"
      borderWidth={1}
      borderColor="critical1"
      backgroundColor="critical1"
      data-testid="refusal"
    >
      <Text fontWeight="bold">You do not have permission to see store credit.</Text>
      <Text as="p" size={2}>
        Ask an administrator for {permissions.join(" and ")} in one of your permission groups.
      </Text>
    </Box>
  );
}

export function ErrorBox({ messages, testId = "errors" }) {
  const list = (messages || []).filter(Boolean);
  if (!list.length) return null;
  return (
    <Box
      padding={3}
      borderRadius={3}
      backgroundColor="critical1"
      data-testid={testId}
      role="alert"
    >
      {list.map((message, index) => (
        <Text key={index} as="p" size={2} color="critical1">
          {message}
        </Text>
      ))}
    </Box>
  );
}

export function Success({ children, testId = "success" }) {
  if (!children) return null;
  return (
    <Box padding={3} borderRadius={3} backgroundColor="success1" data-testid={testId} role="status">
      <Text size={2}>{children}</Text>
    </Box>
  );
}

export function Field({ label, name, value, onChange, error, type = "text", helperText, ...props }) {
  return (
    <Input
      label={label}
      name={name}
      value={value}
      type={type}
      onChange={event => onChange(event.target.value)}
      error={Boolean(error)}
      helperText={error || helperText}
      data-testid={`field-${name}`}
      {...props}
    />
  );
}

export function TextArea({ label, name, value, onChange, error }) {
  return (
    <Textarea
      label={label}
      name={name}
      value={value}
      rows={2}
      onChange={event => onChange(event.target.value)}
      error={Boolean(error)}
      helperText={error}
      data-testid={`field-${name}`}
    />
  );
}

/** A native select styled with Macaw tokens: dependable at widget width. */
export function Choice({ label, name, value, onChange, options, error }) {
  return (
    <Box display="flex" flexDirection="column" gap={1}>
      <Text as="label" size={2} color="default2" htmlFor={`select-${name}`}>
        {label}
      </Text>
      <Box
        as="select"
        id={`select-${name}`}
        name={name}
        value={value}
        onChange={event => onChange(event.target.value)}
        data-testid={`field-${name}`}
        padding={2}
        borderRadius={3}
        borderStyle="solid"
        borderWidth={1}
        borderColor={error ? "critical1" : "default1"}
        backgroundColor="default1"
        color="default1"
        fontSize={3}
      >
        {options.map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </Box>
      {error && (
        <Text size={1} color="critical1" data-testid={`error-${name}`}>
          {error}
        </Text>
      )}
    </Box>
  );
}

export function Action({ children, onClick, variant = "primary", disabled, testId, type = "button" }) {
  return (
    <Button type={type} variant={variant} onClick={onClick} disabled={disabled} data-testid={testId}>
      {children}
    </Button>
  );
}

export function StatusChip({ status }) {
  const onHold = status === "ON_HOLD";
  return (
    <Chip size="small" backgroundColor={onHold ? "warning1" : "success1"} data-testid="account-status">
      <Text size={1}>{onHold ? "On hold" : "Active"}</Text>
    </Chip>
  );
}

export function CanUseChip({ canUse }) {
  const label = canUse === true ? "Allowed" : canUse === false ? "Refused" : "Shop rules";
  return (
    <Chip size="small" backgroundColor={canUse === false ? "critical1" : "default1"} data-testid="account-can-use">
      <Text size={1}>{label}</Text>
    </Chip>
  );
}

export function Table({ columns, rows, testId, empty = "Nothing yet." }) {
  if (!rows.length) {
    return (
      <Text size={2} color="default2" data-testid={testId}>
        {empty}
      </Text>
    );
  }
  return (
    <Box as="table" width="100%" data-testid={testId} style={{ borderCollapse: "collapse" }}>
      <thead>
        <tr>
          {columns.map(column => (
            <Box as="th" key={column.key} textAlign="left" paddingY={1} paddingRight={2}>
              <Text size={1} color="default2">
                {column.label}
              </Text>
            </Box>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <Box as="tr" key={row.key ?? index} borderTopStyle="solid" borderTopWidth={1} borderColor="default1">
            {columns.map(column => (
              <Box as="td" key={column.key} paddingY={1} paddingRight={2} verticalAlign="top">
                <Text size={2}>{column.render ? column.render(row) : row[column.key]}</Text>
              </Box>
            ))}
          </Box>
        ))}
      </tbody>
    </Box>
  );
}
