import { useState } from "react";
import { Fleet } from "./Fleet.js";
import { Health } from "./Health.js";
import { Rollouts } from "./Rollouts.js";

const PAGES = { fleet: "Fleet", rollouts: "Rollouts", health: "Health" } as const;
type Page = keyof typeof PAGES;

export function App() {
  const [page, setPage] = useState<Page>("fleet");
  return (
    <div className="app">
      <header>
        <h1>fwx fleet</h1>
        <nav>
          {(Object.keys(PAGES) as Page[]).map((p) => (
            <button key={p} className={p === page ? "active" : ""} onClick={() => setPage(p)}>{PAGES[p]}</button>
          ))}
        </nav>
      </header>
      <main>
        {page === "fleet" && <Fleet />}
        {page === "rollouts" && <Rollouts />}
        {page === "health" && <Health />}
      </main>
    </div>
  );
}
