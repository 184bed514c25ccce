// Choosing files on a phone or at a desk: the document, progress and registration forms.
import { t } from "../i18n.js";
import "../strings/draft.js";

export const kb = (n) => (n > 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

/**
 * A file picker: a label styled as a button around the input (keyboard and screen
 * readers reach the input), the chosen files listed with a remove button each.
 */
export function FilePicker({ id, label, help, accept, multiple, files, onChange, onPick, capture, button }) {
  return (
    <div class="file-picker">
      <span class="label" id={`${id}-label`}>
        {label}
      </span>
      {help && (
        <p class="help" id={`${id}-help`}>
          {help}
        </p>
      )}
      <label class="button file-button" for={id}>
        {button || t(multiple ? "chooseAttachments" : "chooseFile")}
      </label>
      <input
        id={id}
        type="file"
        class="visually-hidden"
        accept={accept}
        multiple={multiple}
        capture={capture}
        aria-labelledby={`${id}-label`}
        aria-describedby={help ? `${id}-help` : undefined}
        onChange={(e) => {
          const chosen = [...(e.currentTarget.files || [])];
          if (onPick) onPick(chosen);
          else onChange(multiple ? [...files, ...chosen] : chosen);
          e.currentTarget.value = "";
        }}
      />
      {files.length > 0 && (
        <ul class="file-list">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <span>{t("fileSize", { name: f.name, size: kb(f.size) })}</span>
              <button
                type="button"
                class="icon-button"
                aria-label={t("removeFile", { name: f.name })}
                onClick={() => onChange(files.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

