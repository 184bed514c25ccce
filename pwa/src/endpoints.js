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

  // search, the dashboard, reports
  search: { method: "GET", path: "/api/search" },
  dashboard: { method: "GET", path: "/api/dashboard" },
  report: { method: "GET", path: "/api/reports/processing" },
  reportDocuments: { method: "GET", path: "/api/reports/processing/documents" },
  reportCsv: { method: "GET", path: "/api/reports/processing/export.csv" },
  reportXlsx: { method: "GET", path: "/api/reports/processing/export.xlsx" },

  // the work calendar
  calendar: { method: "GET", path: "/api/calendar" },
  eventCreate: { method: "POST", path: "/api/calendar/events" },
  event: { method: "GET", path: "/api/calendar/events/{event_id}" },
  eventUpdate: { method: "PATCH", path: "/api/calendar/events/{event_id}" },
  eventCancel: { method: "POST", path: "/api/calendar/events/{event_id}/cancel" },

  // delegation and personal settings
  delegations: { method: "GET", path: "/api/delegations" },
  delegationCreate: { method: "POST", path: "/api/delegations" },
  delegationRevoke: { method: "DELETE", path: "/api/delegations/{delegation_id}" },
  signingPin: { method: "PUT", path: "/api/me/signing-pin" },
  totpStart: { method: "POST", path: "/api/me/signing-totp" },
  totpConfirm: { method: "POST", path: "/api/me/signing-totp/confirm" },
  preferences: { method: "GET", path: "/api/me/notification-preferences" },
  preferencesSave: { method: "PUT", path: "/api/me/notification-preferences" },
  quickPhraseAdd: { method: "POST", path: "/api/me/quick-phrases" },
  quickPhraseDelete: { method: "DELETE", path: "/api/me/quick-phrases/{phrase_id}" },
  quickPhrasesOrder: { method: "PUT", path: "/api/me/quick-phrases" },
  signatureReport: { method: "GET", path: "/api/documents/{document_id}/signatures/report.pdf" },

  // administration
  organisation: { method: "GET", path: "/api/organisations/{organisation_id}" },
  unitCreate: { method: "POST", path: "/api/organisations/{organisation_id}/units" },
  unitUpdate: { method: "PATCH", path: "/api/organisations/{organisation_id}/units/{unit_id}" },
  userCreate: { method: "POST", path: "/api/organisations/{organisation_id}/users" },
  user: { method: "GET", path: "/api/users/{user_id}" },
  userUpdate: { method: "PATCH", path: "/api/users/{user_id}" },
  signingSettings: { method: "GET", path: "/api/organisations/{organisation_id}/signing-settings" },
  signingSettingsSave: { method: "PUT", path: "/api/organisations/{organisation_id}/signing-settings" },
  credentials: { method: "GET", path: "/api/signing-credentials" },
  credentialCreate: { method: "POST", path: "/api/signing-credentials" },
  credentialRevoke: { method: "DELETE", path: "/api/signing-credentials/{credential_id}" },
  credentialImage: { method: "PUT", path: "/api/signing-credentials/{credential_id}/image" },
  webhooks: { method: "GET", path: "/api/webhooks" },
  webhookCreate: { method: "POST", path: "/api/webhooks" },
  webhookUpdate: { method: "PATCH", path: "/api/webhooks/{endpoint_id}" },
  webhookDelete: { method: "DELETE", path: "/api/webhooks/{endpoint_id}" },
  webhookDeliveries: { method: "GET", path: "/api/webhooks/{endpoint_id}/deliveries" },
  webhookResend: { method: "POST", path: "/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend" },
  audit: { method: "GET", path: "/api/audit-events" },
  auditVerify: { method: "GET", path: "/api/audit-events/verify" },
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
