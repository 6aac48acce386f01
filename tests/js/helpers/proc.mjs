// Child processes that cannot outlive a test: each runs in its own process group, which is killed
// on timeout and on stop(), so grandchildren (workerd under wrangler, esbuild under vite) go too.
import { spawn } from "node:child_process";

const live = new Set();

function killGroup(child, signal = "SIGTERM") {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

// Last resort: if the test process exits with children still running, kill their groups.
process.on("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

function spawnGroup(command, args, { cwd, env } = {}) {
  const child = spawn(command, args, {
    cwd,
    // Plain output to match on: tools colour it under CI=true (picocolors), and NO_COLOR wins.
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group
  });
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

/**
 * Runs a command to completion and resolves to `{ code, signal, stdout, stderr, ms }`; never
 * rejects for a non-zero exit (callers assert on `code`), rejects when it cannot start or runs
 * longer than `timeout` ms (its whole group is killed first).
 */
export function run(command, args, { cwd, env, timeout = 120_000 } = {}) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawnGroup(command, args, { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} timed out after ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - start) });
    });
  });
}

/** Like `run`, but rejects with the output when the exit code is not 0. */
export async function runOk(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${result.code ?? result.signal}\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

/**
 * Starts a long-running command. `waitFor(regex, timeout)` resolves with the first match in its
 * combined output (rejecting if it exits first or the time runs out); `stop()` kills its process
 * group (SIGTERM, then SIGKILL after a grace period) and resolves once it has exited.
 */
export function start(command, args, { cwd, env } = {}) {
  const child = spawnGroup(command, args, { cwd, env });
  let output = "";
  const listeners = new Set();
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const onData = (d) => {
    output += d;
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding("utf8").on("data", onData);
  child.stderr.setEncoding("utf8").on("data", onData);
  let spawnError;
  child.on("error", (error) => {
    spawnError = error;
    for (const listener of listeners) listener();
  });

  return {
    child,
    output: () => output,
    waitFor(pattern, timeout = 60_000) {
      return new Promise((resolve, reject) => {
        let done = false;
        const finish = (fn, value) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          listeners.delete(check);
          fn(value);
        };
        const check = () => {
          const match = output.match(pattern);
          if (match) finish(resolve, match);
          else if (spawnError) finish(reject, spawnError);
        };
        const timer = setTimeout(
          () => finish(reject, new Error(`timed out after ${timeout} ms waiting for ${pattern}; output:\n${output}`)),
          timeout,
        );
        exited.then(({ code, signal }) => {
          check();
          finish(reject, new Error(`${command} exited (${code ?? signal}) before ${pattern}; output:\n${output}`));
        });
        listeners.add(check);
        check();
      });
    },
    async stop(grace = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), grace);
        await exited;
        clearTimeout(timer);
      }
      // The leader may be gone while others in its group linger: make sure none survive.
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // no such group: all gone
      }
    },
  };
}

/** Runs every cleanup step, even when one fails, logging failures instead of throwing. */
export async function cleanup(...steps) {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      console.log(`# cleanup failed: ${error?.message ?? error}`);
    }
  }
}
