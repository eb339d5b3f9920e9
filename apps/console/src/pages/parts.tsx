/** A labelled text input, as every form of the console has them. */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  required?: boolean;
  type?: 'text' | 'datetime-local';
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.type === 'datetime-local' ? (
        <input
          id={props.id}
          type="datetime-local"
          required={props.required}
          value={props.value}
          onInput={(event) => props.onValue((event.target as HTMLInputElement).value)}
        />
      ) : (
        <input
          id={props.id}
          type="text"
          required={props.required}
          value={props.value}
          onInput={(event) => props.onValue((event.target as HTMLInputElement).value)}
        />
      )}
    </div>
  );
}

/** A table's header row: one column heading each. */
export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A failure to show, announced to screen readers; nothing when there is none. */
export function Failure({ text }: { text: string | null }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}
