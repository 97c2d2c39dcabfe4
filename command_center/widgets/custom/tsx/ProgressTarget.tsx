type ProgressTargetProps = {
  rows: Array<Record<string, string | number | boolean | null>>;
  columns: string[];
};

const TARGET = __TARGET__;
const VALUE_FORMAT: string = __FORMAT__;
const LABEL = __LABEL__;
const STYLES: Record<string, string> = __STYLES__;

function format(value: number): string {
  if (VALUE_FORMAT === "percent") return `${(value * 100).toFixed(1)}%`;
  if (VALUE_FORMAT === "currency") return `$${value.toLocaleString(undefined, { maximumFractionDigits: 0 })}`;
  return value.toLocaleString(undefined, { maximumFractionDigits: 1 });
}

export default function ProgressTarget({ rows }: ProgressTargetProps) {
  const value = rows.length > 0 ? Number(rows[0].value ?? 0) : 0;
  const ratio = TARGET > 0 ? value / TARGET : 0;
  const state = ratio >= 1 ? "on_track" : ratio >= 0.9 ? "at_risk" : "off_track";
  const width = Math.max(2, Math.min(100, Math.round(ratio * 100)));
  return (
    <div className="flex flex-col gap-2" data-severity={state}>
      <div className="flex items-baseline justify-between">
        <span className={`text-3xl font-bold tabular-nums ${STYLES[state]}`}>{format(value)}</span>
        <span className="text-sm text-slate-500">
          {LABEL} target {format(TARGET)}
        </span>
      </div>
      <div className="h-3 w-full rounded-full bg-gray-100">
        <div className={`h-3 rounded-full bg-current w-[${width}%] ${STYLES[state]}`} />
      </div>
      <span className={`flex items-center gap-1 text-xs ${STYLES[state]}`}>
        <Icon name={state === "on_track" ? "circle-check" : "circle-alert"} size={12} />
        {state.replace("_", " ")} · {Math.round(ratio * 100)}% of target
      </span>
    </div>
  );
}
