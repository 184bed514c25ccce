// What the signed-in person's roles let them do, for showing only what they may do (the
// server checks every operation again). Roles come with /api/me and the sign-in answer:
// memberships [{organisation_id, unit_id, role, position_title}].

/** @returns {Set<string>} */
export function rolesOf(user) {
  return new Set((user?.memberships || []).map((m) => m.role));
}

export const may = {
  /** drafts documents and builds routes (chuyên viên, trưởng phòng) */
  draft: (r) => r.has("specialist") || r.has("head"),
  /** signs at sign steps (the "Chờ ký" tab) */
  sign: (r) => r.has("leader") || r.has("head"),
  /** answers for assigned work (Việc được giao) */
  work: (r) => r.has("head") || r.has("specialist"),
  /** assigns work and follows it */
  assign: (r) => r.has("leader") || r.has("head"),
  /** the clerk's registration and issuing */
  clerk: (r) => r.has("clerk"),
  /** reads the registers (sổ văn bản) */
  registers: (r) => r.has("clerk") || r.has("leader") || r.has("admin"),
  /** reads the secret series of the registers */
  secretRegisters: (r) => r.has("clerk") || r.has("leader"),
  /** the dashboard and the processing reports (heads: their units) */
  overview: (r) => r.has("leader") || r.has("head") || r.has("admin"),
  /** keeps the work calendar (the office: văn thư, administrators) */
  keepCalendar: (r) => r.has("clerk") || r.has("admin"),
  /** delegates approving / signing before travelling */
  delegate: (r) => r.has("leader") || r.has("head"),
  /** runs the agency: units, users, keys, webhooks, the audit log */
  admin: (r) => r.has("admin"),
};

/** The organisation the person works in (the first membership's). */
export function orgOf(user) {
  return user?.memberships?.[0]?.organisation_id;
}

/** Units the person heads. */
export function headedUnits(user) {
  return (user?.memberships || []).filter((m) => m.role === "head" && m.unit_id).map((m) => m.unit_id);
}
