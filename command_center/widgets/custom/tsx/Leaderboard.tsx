type LeaderboardProps = {
  rows: Array<Record<string, string | number | boolean | null>>;
  columns: string[];
};

const LABEL_COLUMN = __LABEL__;
const VALUE_FORMAT: string = __FORMAT__;
const STYLES: Record<string, string> = __STYLES__;

function format(value: number): string {
  if (VALUE_FORMAT === "percent") return `${(value * 100).toFixed(1)}%`;
  if (VALUE_FORMAT === "currency") return `$${value.toLocaleString(undefined, { maximumFractionDigits: 0 })}`;
  return value.toLocaleString(undefined, { maximumFractionDigits: 1 });
}

export default function Leaderboard({ rows }: LeaderboardProps) {
  const ranked = rows
    .map((row) => ({ label: String(row[LABEL_COLUMN] ?? "—"), value: Number(row.value ?? 0) }))
    .sort((a, b) => b.value - a.value);
  const top = ranked.length > 0 ? Math.max(ranked[0].value, 1e-9) : 1;
  return (
    <ol className="flex flex-col gap-1 text-sm">
      {ranked.map((entry, index) => {
        const tier = index === 0 ? "leader" : index < 3 ? "podium" : "rest";
        const width = Math.max(4, Math.round((entry.value / top) * 100));
        return (
          <li key={entry.label} data-severity={tier} className="flex items-center gap-2">
            <span className={`w-6 text-right font-semibold ${STYLES[tier]}`}>{index + 1}</span>
            <span className="w-28 truncate">{entry.label}</span>
            <span className="h-2 flex-1 rounded bg-gray-100">
              <span className={`block h-2 rounded bg-current w-[${width}%] ${STYLES[tier]}`} />
            </span>
            <span className="w-16 text-right tabular-nums">{format(entry.value)}</span>
          </li>
        );
      })}
    </ol>
  );
}
