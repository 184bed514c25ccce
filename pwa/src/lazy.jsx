// Screens loaded when first shown (code split by role: a leader's phone never downloads
// the clerk's registers). A tiny stand-in for preact/compat's lazy + Suspense.
import { useEffect, useState } from "preact/hooks";
import { t } from "./i18n.js";
import { ErrorBox, Spinner } from "./ui.jsx";

/**
 * @param {() => Promise<Record<string, any>>} load the dynamic import
 * @param {string} name the exported component
 */
export function lazy(load, name) {
  /** @type {any} */
  let Component = null;
  /** @type {Promise<any> | null} */
  let loading = null;
  const get = () =>
    (loading ||= load().then(
      (m) => (Component = m[name]),
      (err) => {
        loading = null; // try again next time
        throw err;
      },
    ));
  function Lazy(props) {
    const [state, setState] = useState(Component ? "ready" : "loading");
    useEffect(() => {
      if (Component) return;
      let live = true;
      get().then(
        () => live && setState("ready"),
        () => live && setState("failed"),
      );
      return () => (live = false);
    }, []);
    if (Component) return <Component {...props} />;
    if (state === "failed") return <ErrorBox text={t("errOffline")} onRetry={() => location.reload()} />;
    return <Spinner />;
  }
  Lazy.preload = get;
  return Lazy;
}
