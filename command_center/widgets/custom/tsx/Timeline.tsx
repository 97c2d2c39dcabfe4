type TimelineProps = {
  rows: Array<Record<string, string | number | boolean | null>>;
  columns: string[];
};

const LABEL_COLUMN = __LABEL__;
const TIME_COLUMN = __TIME__;
const RULES: Array<[string, string]> = __RULES__;
const STYLES: Record<string, string> = __STYLES__;

function severityOf(kind: string): string {
  for (const [needle, severity] of RULES) {
    if (kind.includes(needle)) return severity;
  }
  return __FALLBACK__;
}

function stamp(value: string | number | boolean | null): string {
  const date = new Date(String(value ?? ""));
  if (Number.isNaN(date.getTime())) return String(value ?? "");
  return date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export default function Timeline({ rows }: TimelineProps) {
  return (
    <ol className="relative ml-2 border-l border-gray-300 text-sm">
      {rows.map((row, index) => {
        const kind = String(row[LABEL_COLUMN] ?? "");
        const severity = severityOf(kind);
        return (
          <li key={index} data-severity={severity} className="mb-2 ml-4">
            <span className={`absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full border border-white ${STYLES[severity]}`} />
            <time className="block text-xs text-slate-500">{stamp(row[TIME_COLUMN])}</time>
            <span>{kind.replace(/_/g, " ")}</span>
          </li>
        );
      })}
    </ol>
  );
}
