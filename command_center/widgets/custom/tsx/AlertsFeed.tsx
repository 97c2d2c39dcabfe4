type AlertsFeedProps = {
  rows: Array<Record<string, string | number | boolean | null>>;
  columns: string[];
};

const LABEL_COLUMN = __LABEL__;
const TIME_COLUMN = __TIME__;
const RULES: Array<[string, string]> = __RULES__;
const STYLES: Record<string, string> = __STYLES__;
const ICONS: Record<string, string> = __ICONS__;

function severityOf(kind: string): string {
  for (const [needle, severity] of RULES) {
    if (kind.includes(needle)) return severity;
  }
  return __FALLBACK__;
}

function clock(value: string | number | boolean | null): string {
  const date = new Date(String(value ?? ""));
  if (Number.isNaN(date.getTime())) return String(value ?? "");
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export default function AlertsFeed({ rows }: AlertsFeedProps) {
  if (rows.length === 0) {
    return <p className="text-sm text-slate-500">No alerts right now</p>;
  }
  return (
    <ul className="flex flex-col gap-1">
      {rows.map((row, index) => {
        const kind = String(row[LABEL_COLUMN] ?? "");
        const severity = severityOf(kind);
        return (
          <li
            key={index}
            data-severity={severity}
            className={`flex items-center gap-2 rounded border-l-4 px-2 py-1 text-sm ${STYLES[severity]}`}
          >
            <Icon name={ICONS[severity]} size={14} />
            <span className="flex-1 truncate">{kind.replace(/_/g, " ")}</span>
            <span className="text-xs text-slate-500">{clock(row[TIME_COLUMN])}</span>
          </li>
        );
      })}
    </ul>
  );
}
