DROP TABLE IF EXISTS {{ t.ident }}
