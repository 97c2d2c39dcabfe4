type StatusListProps = {
  rows: Array<Record<string, string | number | boolean | null>>;
  columns: string[];
};

const STATUS_COLUMN = __LABEL__;
const DETAIL_COLUMNS: string[] = __DETAILS__;
const SEVERITY_OF: Record<string, string> = __RULES__;
const STYLES: Record<string, string> = __STYLES__;

function severityOf(status: string): string {
  return SEVERITY_OF[status] ?? __FALLBACK__;
}

export default function StatusList({ rows }: StatusListProps) {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const status = String(row[STATUS_COLUMN] ?? "unknown");
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return (
    <div className="flex flex-col gap-2 text-sm">
      <div className="flex flex-wrap gap-1">
        {[...counts.entries()].map(([status, count]) => (
          <span key={status} className={`rounded-full px-2 py-0.5 text-xs ${STYLES[severityOf(status)]}`}>
            {status.replace(/_/g, " ")} · {count}
          </span>
        ))}
      </div>
      <ul className="divide-y divide-gray-200">
        {rows.map((row, index) => {
          const status = String(row[STATUS_COLUMN] ?? "unknown");
          return (
            <li key={index} data-severity={severityOf(status)} className="flex items-center gap-2 py-1">
              <span className={`w-24 shrink-0 rounded px-2 text-xs ${STYLES[severityOf(status)]}`}>
                {status.replace(/_/g, " ")}
              </span>
              <span className="truncate text-slate-600">
                {DETAIL_COLUMNS.map((column) => String(row[column] ?? "—")).join(" · ")}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
