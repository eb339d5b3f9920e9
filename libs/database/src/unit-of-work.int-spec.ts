import { INestApplicationContext } from '@nestjs/common';
import { Pool } from 'pg';
import { randomBytes } from 'node:crypto';
import { openAppContext } from '../../../test/support/app-context';
import { openTestPool } from '../../../test/support/db';
import { UnitOfWork } from './unit-of-work';

describe('UnitOfWork on PostgreSQL', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let uow: UnitOfWork;
  const table = `uow_probe_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    app = await openAppContext();
    pool = openTestPool();
    uow = app.get(UnitOfWork);
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, touched int NOT NULL DEFAULT 0)`);
    await pool.query(`INSERT INTO ${table} (id) VALUES (1), (2)`);
  });
  afterAll(async () => {
    await pool?.query(`DROP TABLE IF EXISTS ${table}`);
    await pool?.end();
    await app?.close();
  });

  it('retries the victim of a real deadlock (40P01) and both commands commit', async () => {
    let attempts = 0;
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothHoldFirstLock = new Promise<void>((resolve) => (release = resolve));
    const lockInOrder = (first: number, second: number) =>
      uow.run(async () => {
        attempts++;
        await uow.query(`UPDATE ${table} SET touched = touched + 1 WHERE id = $1`, [first]);
        if (++arrived === 2) release();
        await bothHoldFirstLock;
        await uow.query(`UPDATE ${table} SET touched = touched + 1 WHERE id = $1`, [second]);
      });
    await Promise.all([lockInOrder(1, 2), lockInOrder(2, 1)]);
    expect(attempts).toBe(3);
    const { rows } = await pool.query(`SELECT id, touched FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, touched: 2 },
      { id: 2, touched: 2 },
    ]);
  });

  it('rolls back everything a failed command wrote', async () => {
    await expect(
      uow.run(async () => {
        await uow.query(`UPDATE ${table} SET touched = 100 WHERE id = 1`);
        throw new Error('fails after writing');
      }),
    ).rejects.toThrow('fails after writing');
    const { rows } = await pool.query(`SELECT touched FROM ${table} WHERE id = 1`);
    expect(rows[0].touched).not.toBe(100);
  });

  it('a nested command joins the outer transaction instead of committing on its own', async () => {
    await expect(
      uow.run(async () => {
        await uow.run(() => uow.query(`UPDATE ${table} SET touched = 200 WHERE id = 2`));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    const { rows } = await pool.query(`SELECT touched FROM ${table} WHERE id = 2`);
    expect(rows[0].touched).not.toBe(200);
  });
});
