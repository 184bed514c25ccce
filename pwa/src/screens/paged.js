// A cursor-paged list (the API's `next_cursor`), for the lists loaded with their screens.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { load } from "../api.js";
import { problemText } from "../i18n.js";

/**
 * @param {import("../endpoints.js").Endpoint | null} endpoint null: nothing to load yet
 * @param {(string|number)[]} params
 * @param {Record<string, any>} query
 * @param {any[]} deps reload when these change
 */
export function usePaged(endpoint, params, query, deps) {
  const [state, setState] = useState({ items: /** @type {any[]} */ ([]), cursor: null, loading: true, error: "", cached: 0 });
  const generation = useRef(0);
  const fetchPage = useCallback(
    async (cursor) => {
      if (!endpoint) return;
      const gen = cursor ? generation.current : ++generation.current;
      setState((s) => ({ ...s, loading: true, error: "", ...(cursor ? {} : { items: [] }) }));
      try {
        const r = await load(endpoint, params, { ...query, cursor: cursor || undefined });
        if (gen !== generation.current) return;
        setState((s) => ({
          items: cursor ? [...s.items, ...(r.data.items || [])] : r.data.items || [],
          cursor: r.data.next_cursor || null,
          loading: false,
          error: "",
          cached: r.cached ? r.at : 0,
        }));
      } catch (err) {
        if (gen !== generation.current) return;
        setState((s) => ({ ...s, loading: false, error: problemText(err) }));
      }
    },
    [endpoint, JSON.stringify(params), JSON.stringify(query)],
  );
  useEffect(() => {
    fetchPage(null);
  }, deps);
  return { ...state, reload: () => fetchPage(null), more: () => state.cursor && fetchPage(state.cursor) };
}
