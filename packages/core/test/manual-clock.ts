import type { Scheduler } from '../src/index.js'

/** A clock and scheduler that move only when told to, so key-lifecycle timing is exact in tests. */
export class ManualClock implements Scheduler {
  private current = 1_000_000
  private tasks: Array<{ id: number; due: number; callback: () => void }> = []
  private nextId = 1

  readonly now = (): number => this.current

  setTimeout(callback: () => void, delayMs: number): number {
    const id = this.nextId++
    this.tasks.push({ id, due: this.current + delayMs, callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.tasks = this.tasks.filter((task) => task.id !== handle)
  }

  /** Moves the clock, running each task that falls due in order and letting its work settle. */
  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const target = this.current + ms
    for (;;) {
      const due = this.tasks.filter((task) => task.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0]
      if (!due) break
      this.tasks = this.tasks.filter((task) => task !== due)
      this.current = due.due
      due.callback()
      await settle()
    }
    this.current = target
  }
}
