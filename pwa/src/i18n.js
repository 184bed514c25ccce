// Vietnamese first, English on request. t("key", {name}) fills {name} placeholders.
// The strings every screen needs are here (they ship with the sign-in + inbox code); each
// lazily loaded part of the app adds its own with addStrings() when it is imported
// (src/strings/*.js), so the first load carries only what it shows.
const vi = {
  app: "Trình Ký",
  loading: "Đang tải…",
  retry: "Thử lại",
  cancel: "Hủy",
  close: "Đóng",
  back: "Quay lại",
  save: "Lưu",
  send: "Gửi",
  confirm: "Xác nhận",
  language: "Ngôn ngữ",
  offline: "Ngoại tuyến",
  offlineBanner: "Không có mạng — đang xem bản đã lưu trên máy.",
  savedAt: "Bản lưu lúc {time}",
  signIn: "Đăng nhập",
  signingIn: "Đang đăng nhập…",
  signInTitle: "Đăng nhập Trình Ký",
  signInLead: "Hệ thống trình ký và phê duyệt văn bản điện tử.",
  username: "Tên đăng nhập",
  password: "Mật khẩu",
  deviceName: "Tên thiết bị",
  deviceNameHelp: "Giúp bạn nhận ra thiết bị này trong danh sách và thu hồi khi bị mất.",
  signOut: "Đăng xuất",
  sessionEnded: "Phiên làm việc đã kết thúc. Vui lòng đăng nhập lại.",
  deviceRevoked: "Thiết bị này đã bị thu hồi quyền truy cập. Vui lòng đăng nhập lại.",
  inbox: "Văn bản",
  tabWaiting: "Chờ xử lý",
  tabSign: "Chờ ký",
  tabDone: "Đã xử lý",
  tabFollowing: "Theo dõi",
  search: "Tìm văn bản",
  searchPlaceholder: "Tìm theo trích yếu, số ký hiệu…",
  empty: "Không có văn bản nào.",
  loadMore: "Tải thêm",
  pullToRefresh: "Kéo xuống để làm mới",
  releaseToRefresh: "Thả ra để làm mới",
  refresh: "Làm mới",
  overdue: "Quá hạn",
  due: "Hạn {date}",
  arrived: "Đến {time}",
  stepReview: "Xem xét",
  stepSign: "Ký",
  stepConsult: "Xin ý kiến",
  stepIssue: "Ban hành",
  onBehalf: "Xử lý thay {name}",
  urgency_hoa_toc: "Hỏa tốc",
  urgency_thuong_khan: "Thượng khẩn",
  urgency_khan: "Khẩn",
  urgency_normal: "Thường",
  pendingSend: "Chờ gửi",
  select: "Chọn",
  selectAll: "Chọn tất cả",
  selected: "Đã chọn {n}",
  signSelected: "Ký {n} văn bản",
  maxBatch: "Mỗi lần ký tối đa {n} văn bản.",
  drop: "Bỏ thao tác",
  queueTitle: "Thao tác chờ gửi",
  queueCount: "{n} thao tác chờ gửi",
  notifications: "Thông báo",
  unread: "Chưa đọc",
  settings: "Cài đặt",
  errOffline: "Không có kết nối mạng. Vui lòng thử lại khi có mạng.",
  errCredentials: "Sai tên đăng nhập hoặc mật khẩu.",
  errLocked: "Tài khoản tạm khóa do nhập sai nhiều lần. Vui lòng thử lại sau.",
  errRateLimited: "Bạn thao tác quá nhanh. Vui lòng đợi một lát rồi thử lại.",
  errChanged: "Văn bản vừa được người khác thay đổi. Hãy tải lại văn bản rồi thử lại.",
  errConflict: "Văn bản không còn ở bước chờ bạn xử lý (có thể đã được xử lý).",
  errForbidden: "Bạn không có quyền thực hiện việc này.",
  errNotFound: "Không tìm thấy nội dung yêu cầu.",
  errInvalid: "Thông tin chưa hợp lệ.",
  errServer: "Máy chủ đang gặp sự cố. Vui lòng thử lại sau.",
  errWrongPin: "Mã xác thực không đúng.",
  errPinLocked: "Đã nhập sai quá nhiều lần; chức năng ký tạm khóa.",
  errGeneric: "Đã có lỗi xảy ra.",
  errPinNotSet: "Bạn chưa đặt mã PIN ký số. Hãy đặt mã PIN trước khi ký.",
  errTotpNotSet: "Bạn chưa cài ứng dụng xác thực (OTP) cho ký số.",
  errNoCredential: "Bạn chưa có chứng thư số để ký. Hãy liên hệ quản trị.",
  errCertExpired: "Chứng thư số đã hết hạn. Hãy liên hệ quản trị.",
  errSigningOff: "Cơ quan chưa bật ký số.",
  errNothingToSign: "Không có văn bản nào đang chờ bạn ký.",
  skipToContent: "Chuyển đến nội dung chính",
  mainNav: "Điều hướng chính",
  newVersion: "Có phiên bản mới của ứng dụng.",
  reload: "Tải lại",
  status_draft: "Dự thảo",
  status_in_review: "Đang trình",
  status_returned: "Bị trả lại",
  status_signed: "Đã ký",
  status_approved: "Đã duyệt",
  status_issued: "Đã ban hành",
  status_registered: "Đã vào sổ",
  stepInstruct: "Cho ý kiến chỉ đạo",
  status_refused: "Đã từ chối",
  navInbox: "Văn bản",
  navDrafts: "Soạn thảo",
  navWork: "Việc được giao",
  navFollowWork: "Giao việc",
  navIncoming: "Văn bản đến",
  navRegisters: "Sổ văn bản",
  navOverview: "Tổng quan",
  navCalendar: "Lịch công tác",
  navCalendarShort: "Lịch",
  navAdmin: "Quản trị",
  navMore: "Thêm",
  searchAll: "Tìm kiếm",
  sections: "Các mục",
  fromWhom: "Từ {name}",
  pickOne: "Chọn một mục trong danh sách để xem ở đây.",
  statusLine: "Trạng thái kết nối",
  pendingCount: "{n} thao tác chờ gửi",
  errPush: "Không bật được thông báo đẩy: {detail}",
};

/** @type {Record<string, string>} */
const en = {
  app: "Trình Ký",
  loading: "Loading…",
  retry: "Try again",
  cancel: "Cancel",
  close: "Close",
  back: "Back",
  save: "Save",
  send: "Send",
  confirm: "Confirm",
  language: "Language",
  offline: "Offline",
  offlineBanner: "No network — showing the copy saved on this phone.",
  savedAt: "Saved at {time}",
  signIn: "Sign in",
  signingIn: "Signing in…",
  signInTitle: "Sign in to Trình Ký",
  signInLead: "Electronic document approval and signing.",
  username: "Username",
  password: "Password",
  deviceName: "Device name",
  deviceNameHelp: "Helps you recognise this device in the list and revoke it if it is lost.",
  signOut: "Sign out",
  sessionEnded: "Your session has ended. Please sign in again.",
  deviceRevoked: "This device's access was revoked. Please sign in again.",
  inbox: "Documents",
  tabWaiting: "Waiting",
  tabSign: "To sign",
  tabDone: "Handled",
  tabFollowing: "Following",
  search: "Search documents",
  searchPlaceholder: "Search subject, number…",
  empty: "No documents.",
  loadMore: "Load more",
  pullToRefresh: "Pull down to refresh",
  releaseToRefresh: "Release to refresh",
  refresh: "Refresh",
  overdue: "Overdue",
  due: "Due {date}",
  arrived: "Arrived {time}",
  stepReview: "Review",
  stepSign: "Sign",
  stepConsult: "Consultation",
  stepIssue: "Issue",
  onBehalf: "Acting for {name}",
  urgency_hoa_toc: "Flash (Hỏa tốc)",
  urgency_thuong_khan: "Most urgent",
  urgency_khan: "Urgent",
  urgency_normal: "Normal",
  pendingSend: "Waiting to send",
  select: "Select",
  selectAll: "Select all",
  selected: "{n} selected",
  signSelected: "Sign {n} documents",
  maxBatch: "At most {n} documents per signing.",
  drop: "Discard",
  queueTitle: "Waiting to send",
  queueCount: "{n} actions waiting to send",
  notifications: "Notifications",
  unread: "Unread",
  settings: "Settings",
  errOffline: "No network connection. Please try again when you are online.",
  errCredentials: "Wrong username or password.",
  errLocked: "The account is locked for a while after too many failed attempts.",
  errRateLimited: "Too many attempts. Please wait a moment.",
  errChanged: "Someone else just changed the document. Reload it and try again.",
  errConflict: "The document is no longer waiting for you (it may have been handled).",
  errForbidden: "You are not allowed to do this.",
  errNotFound: "Not found.",
  errInvalid: "Some information is not valid.",
  errServer: "The server has a problem. Please try again later.",
  errWrongPin: "The code is not correct.",
  errPinLocked: "Too many wrong codes; signing is locked for a while.",
  errGeneric: "Something went wrong.",
  errPinNotSet: "You have not set a signing PIN yet.",
  errTotpNotSet: "You have not set up an authenticator app for signing.",
  errNoCredential: "You have no signing certificate. Ask the administrator.",
  errCertExpired: "The signing certificate has expired. Ask the administrator.",
  errSigningOff: "Digital signing is not switched on for the agency.",
  errNothingToSign: "No document is waiting for your signature.",
  skipToContent: "Skip to main content",
  mainNav: "Main navigation",
  newVersion: "A new version of the app is available.",
  reload: "Reload",
  status_draft: "Draft",
  status_in_review: "In review",
  status_returned: "Returned",
  status_signed: "Signed",
  status_approved: "Approved",
  status_issued: "Issued",
  status_registered: "Registered",
  stepInstruct: "Give an instruction",
  status_refused: "Refused",
  navInbox: "Documents",
  navDrafts: "Drafting",
  navWork: "Assigned work",
  navFollowWork: "Assignments",
  navIncoming: "Incoming",
  navRegisters: "Registers",
  navOverview: "Overview",
  navCalendar: "Work calendar",
  navCalendarShort: "Calendar",
  navAdmin: "Administration",
  navMore: "More",
  searchAll: "Search",
  sections: "Sections",
  fromWhom: "From {name}",
  pickOne: "Choose an item in the list to see it here.",
  statusLine: "Connection status",
  pendingCount: "{n} actions waiting to send",
  errPush: "Push notifications could not be switched on: {detail}",
};

const DICTS = { vi, en };

/** Add a part's strings (Vietnamese and English, same keys). */
export function addStrings(moreVi, moreEn) {
  Object.assign(vi, moreVi);
  Object.assign(en, moreEn);
}
const STORAGE_KEY = "trinhky.lang";

function initialLang() {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved && saved in DICTS) return saved;
  } catch {
    /* private mode */
  }
  return "vi";
}

let lang = initialLang();
const listeners = new Set();

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (!(next in DICTS) || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* not kept */
  }
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** @param {keyof typeof vi} key @param {Record<string, any>} [vars] */
export function t(key, vars) {
  let s = DICTS[lang][key] ?? vi[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
  return s;
}

const TZ = "Asia/Ho_Chi_Minh";
const locale = () => (lang === "vi" ? "vi-VN" : "en-GB");

// one formatter per language: building an Intl.DateTimeFormat costs far more than using it
const formatters = new Map();

/** "14:05 23/11/2026" in Vietnam time */
export function fmtDateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let f = formatters.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), {
      timeZone: TZ,
      hour: "2-digit",
      minute: "2-digit",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
    });
    formatters.set(lang, f);
  }
  return f.format(d);
}

/** A date-only value ("2026-11-30") shown as 30/11/2026. */
export function fmtDate(isoDate) {
  if (!isoDate) return "";
  const [y, m, d] = isoDate.slice(0, 10).split("-");
  return lang === "vi" || lang === "en" ? `${d}/${m}/${y}` : isoDate;
}

/** Problem codes with a sentence of their own (parts of the app add theirs). */
const CODES = {
  "invalid-credentials": "errCredentials",
  "account-locked": "errLocked",
  "wrong-code": "errWrongPin",
  "wrong-pin": "errWrongPin",
  "signing-locked": "errPinLocked",
  "pin-not-set": "errPinNotSet",
  "totp-not-set": "errTotpNotSet",
  "credential-missing": "errNoCredential",
  "certificate-expired": "errCertExpired",
  "digital-signing-off": "errSigningOff",
  "nothing-to-sign": "errNothingToSign",
};

/** @param {Record<string, string>} map problem code → string key */
export function addProblemCodes(map) {
  Object.assign(CODES, map);
}

/** Plain words for an ApiError (Problem Details), in the current language. */
export function problemText(err) {
  if (!err) return t("errGeneric");
  // not an answer of the API (a browser API failed): never "no network"
  if (typeof err.status !== "number") return t("errGeneric") + (err.message ? ` (${err.message})` : "");
  const code = err.code || "";
  const status = err.status;
  if (status === 0) return t("errOffline");
  if (CODES[code]) return t(CODES[code]);
  if (code.includes("locked")) return t("errPinLocked");
  if (status === 412) return t("errChanged");
  if (status === 409) return t("errConflict");
  if (status === 403) return t("errForbidden");
  if (status === 404) return t("errNotFound");
  if (status === 429) return t("errRateLimited");
  if (status === 422 || status === 400) {
    const fields = err.errors
      ? Object.values(err.errors)
          .flat()
          .filter((m) => typeof m === "string")
      : [];
    const extra = lang === "en" && fields.length ? ` ${fields.join(" ")}` : "";
    return t("errInvalid") + extra;
  }
  if (status >= 500) return t("errServer");
  return lang === "en" && err.detail ? err.detail : t("errGeneric");
}
