import { useCallback, useEffect, useState } from "react";

import { gql } from "./api";

/** Run a query with the Dashboard's token; `reload` runs it again. */
export function useQuery(token, query, variables, { skip = false } = {}) {
  const [result, setResult] = useState({ loading: !skip, data: null, error: null });
  const key = JSON.stringify(variables);
  const run = useCallback(async () => {
    if (skip) return;
    setResult(previous => ({ ...previous, loading: true }));
    try {
      setResult({ loading: false, data: await gql(token, query, variables), error: null });
    } catch (error) {
      setResult({ loading: false, data: null, error });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token, query, key, skip]);
  useEffect(() => {
    run();
  }, [run]);
  return { ...result, reload: run };
}

export function edges(connection) {
  return (connection?.edges || []).map(edge => edge.node);
}
