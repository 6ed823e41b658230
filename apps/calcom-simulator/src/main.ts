import { startCalcomSimulator } from './calcom-simulator.js';

// A stand-alone simulator for local runs and demos: team 42 ("Example Clinic") administered by key cal_test_demo.
const DEMO_KEY = 'cal_test_demo';
const DEMO_TEAM = 42;

const simulator = await startCalcomSimulator({
  port: Number(process.env.PORT ?? 5555),
  host: process.env.HOST ?? '127.0.0.1',
  keys: [{ apiKey: DEMO_KEY, teamIds: [DEMO_TEAM] }],
  teams: [
    {
      id: DEMO_TEAM,
      name: 'Example Clinic',
      eventTypes: [
        { id: 2001, title: 'Initial Consultation', slug: 'initial-consultation', lengthInMinutes: 30 },
        {
          id: 2002,
          title: 'Deep Tissue Massage',
          slug: 'deep-tissue-massage',
          lengthInMinutes: 60,
          beforeEventBuffer: 10,
          afterEventBuffer: 10,
          price: 8500,
          currency: 'eur',
        },
        { id: 2003, title: 'Group Workshop', slug: 'group-workshop', lengthInMinutes: 90, hidden: true },
      ],
    },
  ],
});

console.log(`Cal.com simulator: API ${simulator.url}, control ${simulator.controlUrl}`);
console.log(`demo team ${DEMO_TEAM}, API key ${DEMO_KEY}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
