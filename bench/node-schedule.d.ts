// node-schedule ships no type declarations; the benchmark only calls scheduleJob and gracefulShutdown.
declare module 'node-schedule';
