import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { EXAMPLE_TABS } from './examples';
import { createFetcher } from './fetcher';

const PLACEHOLDER_HEADERS = JSON.stringify({ Authorization: 'Bearer <run the login tab first>' }, null, 2);

function Sandbox() {
  const [headers, setHeaders] = useState<string | undefined>(undefined);
  const fetcher = useMemo(
    () => createFetcher((token) => setHeaders(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2))),
    [],
  );
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={EXAMPLE_TABS}
      defaultHeaders={PLACEHOLDER_HEADERS}
      headers={headers}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
    />
  );
}

createRoot(document.getElementById('graphiql') as HTMLElement).render(
  <StrictMode>
    <Sandbox />
  </StrictMode>,
);
