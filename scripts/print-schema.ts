// `npm run schema`: prints the gateway's schema as SDL (the same schema the server executes).

import { printSchema } from 'graphql';
import { buildSchema } from '../src/graph/schema.ts';

process.stdout.write(`${printSchema(buildSchema())}\n`);
