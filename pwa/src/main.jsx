import { render } from "preact";
import { App } from "./app.jsx";
import { getLang } from "./i18n.js";
import "./styles.css";

document.documentElement.lang = getLang();
render(<App />, document.getElementById("app"));

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) => {
      console.warn("service worker not registered", err);
    });
  });
}
