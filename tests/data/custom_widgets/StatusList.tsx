// A good component: every static check passes.
type StatusListProps = {
  rows: Array<Record<string, string | number | null>>;
  columns: string[];
};

const TONES: Record<string, string> = {
  critical: "bg-red-100 text-red-700",
  warning: "bg-amber-100 text-amber-800",
  ok: "bg-green-100 text-green-700",
};

function tone(status: string): string {
  if (status === "denied") return TONES.critical;
  if (status === "in_review") return TONES.warning;
  return TONES.ok;
}

export default function StatusList({ rows }: StatusListProps) {
  const [expanded, setExpanded] = React.useState(false);
  const shown = expanded ? rows : rows.slice(0, 5);
  return (
    <ul className="divide-y divide-gray-200 text-sm">
      {shown.map((row, index) => (
        <li key={index} className="flex items-center gap-2 py-1">
          <Icon name="circle-dot" size={12} />
          <span className={`rounded px-2 ${tone(String(row.status))}`}>{String(row.status)}</span>
          <span className="text-slate-500">{String(row.region)} (x{Math.round(Number(row.value ?? 0))}</span>
        </li>
      ))}
      <button className="text-blue-600" onClick={() => setExpanded(!expanded)}>
        {expanded ? "less" : "more"}
      </button>
    </ul>
  );
}
