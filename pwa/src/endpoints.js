// Every API call the app makes, in one place. scripts/check-api.mjs verifies each
// method + path against /api/openapi.json; no other file writes an "/api/…" path.
// `pending: true` marks endpoints the backend is still adding: check-api reports them
// as warnings (the app already copes with their 404) until they appear.

/** @typedef {{method: string, path: string, pending?: boolean}} Endpoint */

/** @type {Record<string, Endpoint>} */
export const E = {
  login: { method: "POST", path: "/api/auth/login" },
  refresh: { method: "POST", path: "/api/auth/refresh" },
  logout: { method: "POST", path: "/api/auth/logout" },
  devices: { method: "GET", path: "/api/auth/devices" },
  revokeDevice: { method: "DELETE", path: "/api/auth/devices/{device_id}" },
  me: { method: "GET", path: "/api/me" },
  users: { method: "GET", path: "/api/organisations/{organisation_id}/users" },
  units: { method: "GET", path: "/api/organisations/{organisation_id}/units" },
  organisations: { method: "GET", path: "/api/organisations" },
  documentTypes: { method: "GET", path: "/api/document-types" },

  inboxWaiting: { method: "GET", path: "/api/inbox/waiting" },
  inboxSubmitted: { method: "GET", path: "/api/inbox/submitted" },
  inboxDone: { method: "GET", path: "/api/inbox/done" },
  inboxFollowing: { method: "GET", path: "/api/inbox/following" },
  inboxCounts: { method: "GET", path: "/api/inbox/counts" },

  documents: { method: "GET", path: "/api/documents" },
  createDocument: { method: "POST", path: "/api/documents" },
  updateDocument: { method: "PATCH", path: "/api/documents/{document_id}" },
  versions: { method: "GET", path: "/api/documents/{document_id}/versions" },
  addVersion: { method: "POST", path: "/api/documents/{document_id}/versions" },
  setRoute: { method: "PUT", path: "/api/documents/{document_id}/route" },
  routeTemplates: { method: "GET", path: "/api/route-templates" },
  submit: { method: "POST", path: "/api/documents/{document_id}/submit" },
  withdraw: { method: "POST", path: "/api/documents/{document_id}/withdraw" },
  reply: { method: "POST", path: "/api/documents/{document_id}/reply" },
  issuePreview: { method: "GET", path: "/api/documents/{document_id}/issue-preview" },
  issue: { method: "POST", path: "/api/documents/{document_id}/issue" },
  registerIncoming: { method: "POST", path: "/api/documents/{document_id}/register-incoming" },
  refuse: { method: "POST", path: "/api/documents/{document_id}/refuse" },
  checkSignatures: { method: "POST", path: "/api/documents/{document_id}/signatures" },
  validatePdf: { method: "POST", path: "/api/signatures/validate" },
  register: { method: "GET", path: "/api/registers/{direction}" },
  registerCsv: { method: "GET", path: "/api/registers/{direction}/export.csv" },

  workList: { method: "GET", path: "/api/assignments" },
  work: { method: "GET", path: "/api/assignments/{assignment_id}" },
  subAssign: { method: "POST", path: "/api/assignments/{assignment_id}/sub-assignments" },
  progress: { method: "POST", path: "/api/assignments/{assignment_id}/progress" },
  progressFiles: { method: "POST", path: "/api/assignments/{assignment_id}/progress/{progress_id}/files" },
  progressFile: { method: "GET", path: "/api/assignments/{assignment_id}/progress-files/{file_id}" },
  extension: { method: "POST", path: "/api/assignments/{assignment_id}/extensions" },
  decideExtension: { method: "POST", path: "/api/assignments/{assignment_id}/extensions/{extension_id}/decide" },
  complete: { method: "POST", path: "/api/assignments/{assignment_id}/complete" },
  acknowledge: { method: "POST", path: "/api/assignments/{assignment_id}/acknowledge" },

  document: { method: "GET", path: "/api/documents/{document_id}" },
  file: { method: "GET", path: "/api/documents/{document_id}/files/{file_id}" },
  page: { method: "GET", path: "/api/documents/{document_id}/files/{file_id}/pages/{page}" },
  timeline: { method: "GET", path: "/api/documents/{document_id}/timeline" },
  route: { method: "GET", path: "/api/documents/{document_id}/route" },
  signatures: { method: "GET", path: "/api/documents/{document_id}/signatures" },

  approve: { method: "POST", path: "/api/documents/{document_id}/approve" },
  return: { method: "POST", path: "/api/documents/{document_id}/return" },
  forward: { method: "POST", path: "/api/documents/{document_id}/forward" },
  instruction: { method: "POST", path: "/api/documents/{document_id}/instructions" },
  assignments: { method: "GET", path: "/api/documents/{document_id}/assignments" },
  assign: { method: "POST", path: "/api/documents/{document_id}/assignments" },
  quickPhrases: { method: "GET", path: "/api/me/quick-phrases" },

  signingCreate: { method: "POST", path: "/api/signing-requests" },
  signingAuthorize: { method: "POST", path: "/api/signing-requests/{request_id}/authorize" },
  signingGet: { method: "GET", path: "/api/signing-requests/{request_id}" },
  signingPasskeyOptions: { method: "POST", path: "/api/signing-requests/{request_id}/passkey-options" },
  mySigning: { method: "GET", path: "/api/me/signing" },
  passkeys: { method: "GET", path: "/api/me/signing-passkeys" },
  passkeyOptions: { method: "POST", path: "/api/me/signing-passkeys/options" },
  passkeyAdd: { method: "POST", path: "/api/me/signing-passkeys" },
  passkeyRemove: { method: "DELETE", path: "/api/me/signing-passkeys/{passkey_id}" },

  notifications: { method: "GET", path: "/api/notifications" },
  notificationRead: { method: "POST", path: "/api/notifications/{notification_id}/read" },
  notificationsReadAll: { method: "POST", path: "/api/notifications/read-all" },
  vapidKey: { method: "GET", path: "/api/push/vapid-public-key" },
  pushSubscribe: { method: "POST", path: "/api/push/subscriptions" },
  pushUnsubscribe: { method: "DELETE", path: "/api/push/subscriptions/{subscription_id}" },
};

/**
 * Fill the {placeholders} of an endpoint's path, in order, from `params`.
 * @param {Endpoint} endpoint
 * @param {(string|number)[]} params
 * @param {Record<string, any>} [query]
 */
export function urlOf(endpoint, params = [], query) {
  let i = 0;
  let url = endpoint.path.replace(/\{[^}]+\}/g, () => {
    if (i >= params.length) throw new Error(`missing parameter for ${endpoint.path}`);
    return encodeURIComponent(String(params[i++]));
  });
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  return url;
}
